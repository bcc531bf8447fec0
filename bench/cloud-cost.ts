import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import type { ExecutionInput } from '../functions/lib/deployment-input';
import { READINESS_POLL_MAX_FACTOR } from '../functions/lib/poll-schedule';
import type { HistoryEventOutput } from '../local/stepfunctions/history';
import { startBenchAws, type BenchAws } from './bench-aws';
import { billExecution, type ExecutionBill } from './billing';
import { uploadExample, type ExampleV1 } from './example-fixtures';
import { atMost, figure, type Figure, type MeasurementResult } from './figures';
import { modelPollLoop } from './poll-model';
import { candidateEndpointUsd, deploymentPrice, CI_RUNNER_POLLING_USD } from './prices';
import { runPipeline } from './pipeline-run';
import { median } from './stats';

const MEASUREMENT = 'cloud-cost';
/** The issue's ordinary deployment: SageMaker takes 8 minutes to create the endpoint, the model 2 minutes to answer. */
const ENDPOINT_CREATION_SECONDS = 480;
const OUTPUT_SECONDS = 120;
const SCENARIOS = [
  { id: 'realistic', cases: 3, goal: atMost(40) },
  { id: 'one-case', cases: 1 },
] as const;
/**
 * What AWS adds to the local event path, an assumption (not measured here): EventBridge or SNS delivery to Lambda and
 * a cold AwaitEvent (its bundled import measures ~0.1–0.2 s in lambda-cold-start), rounded up generously.
 */
const AWS_EVENT_DELIVERY_SECONDS = 2;

/**
 * The release strategies, as the execution input asks for them. A strategy decides how a new model reaches an endpoint
 * that already serves, so each is measured as a release over the endpoint the first deployment created, its ids
 * suffixed with its name; the first deployment (a new endpoint, where no strategy applies) has the ids without suffix.
 */
export const STRATEGY_INPUT: Record<string, Partial<ExecutionInput>> = {
  'in-place': { release: { strategy: 'in-place' } },
  candidate: { release: { strategy: 'candidate' } },
};
const FIRST_DEPLOYMENT = 'new endpoint';

export interface CloudCostOptions {
  /** Simulated time × this; 0.02 runs the 8-minute endpoint creation in about 10 s. */
  waitScale: number;
  log: (line: string) => void;
  strategies?: string[];
}

/**
 * Successful deployments under the default settings, with SageMaker taking 8 minutes to create the endpoint
 * (simulatedDeploymentSeconds) and the echo container 2 minutes to answer (AEP_FAULT=slow), scaled by waitScale —
 * for 3 smoke cases (the realistic scenario) and for one: first as a new endpoint, then as a release over it with each
 * release strategy (in-place: update, then test; candidate: test on a temporary endpoint, then promote). Transitions and Lambda invocations
 * are counted from the history as AWS bills them, plus AwaitEvent's invocations by events (the deliveries the
 * embedded EventBridge and SNS made for the run). Detection is real time (events are not scaled): from the endpoint
 * InService / the output notification to the wait's exit, plus AWS's delivery (assumed above). API calls are
 * counted as the embedded AWS serves them, by service and operation (details.<scenario>.apiCalls).
 */
export async function measureCloudCost(options: CloudCostOptions): Promise<MeasurementResult> {
  const scale = options.waitScale;
  const bench = await startBenchAws({ waitScale: scale, simulatedDeploymentSeconds: ENDPOINT_CREATION_SECONDS });
  try {
    const example = await uploadExample(bench.clients.s3, options.log);
    const figures: Figure[] = [];
    const details: Record<string, unknown> = { waitScale: scale, endpointCreationSeconds: ENDPOINT_CREATION_SECONDS, outputSeconds: OUTPUT_SECONDS, awsEventDeliverySecondsAssumed: AWS_EVENT_DELIVERY_SECONDS };
    // One untimed run first: detection is timed, and the steps' first load and compilation are not what an event costs.
    await runPipeline(bench, 'bench-cost-warm-up', deployment(example, 'bench-cost-warm-up', 1, scale));
    for (const strategy of [FIRST_DEPLOYMENT, ...(options.strategies ?? Object.keys(STRATEGY_INPUT))]) {
      const suffix = strategy === FIRST_DEPLOYMENT ? '' : `.${strategy}`;
      for (const scenario of SCENARIOS) {
        // The issue's goal is for the first deployment's id; the releases are reported beside it.
        // Every run of a scenario deploys to the same endpoint: the first creates it, each strategy then releases over it.
        const endpointName = `bench-cost-${scenario.id}`;
        const deliveriesBefore = bench.aws.services.events.deliveries().length;
        const notificationsBefore = asyncNotifications(bench).length;
        const calls = new Map<string, number>();
        const stopCounting = bench.aws.onCall(({ service, operation }) => {
          const name = `${service}:${operation ?? '(unnamed)'}`;
          calls.set(name, (calls.get(name) ?? 0) + 1);
        });
        const run = await runPipeline(bench, `${endpointName}-${strategy.replace(' ', '-')}`, deployment(example, endpointName, scenario.cases, scale, STRATEGY_INPUT[strategy])).finally(stopCounting);
        const apiCalls = [...calls.values()].reduce((a, b) => a + b, 0);
        const bill = billExecution(run.history);
        const eventInvocations =
          bench.aws.services.events.deliveries().slice(deliveriesBefore).filter((d) => d.resources.some((r) => r.includes(`/${endpointName}`))).length +
          asyncNotifications(bench).slice(notificationsBefore).length;
        const lambdaInvocations = bill.lambdaInvocations + eventInvocations;
        const s3Calls = Object.fromEntries([...calls].filter(([name]) => name.startsWith('s3:')).map(([name, n]) => [name.slice('s3:'.length), n]));
        const price = deploymentPrice({ transitions: bill.stateTransitions, lambdaInvocations, lambdaMs: lambdaMsMedian(run.history), historyBytes: historyBytes(run.history), s3Calls });
        const label = `${scenario.cases} case${scenario.cases > 1 ? 's' : ''}, ${strategy === FIRST_DEPLOYMENT ? strategy : `release ${strategy}`}`;
        // The trade-off between the strategies: time to the verdict, and the candidate's extra endpoint.
        const releaseMinutes = executionMs(run.history) / scale / 60_000;
        figures.push(figure(`release-minutes.${scenario.id}${suffix}`, MEASUREMENT, `start to verdict, simulated minutes (execution time ÷ wait scale; ${label})`, releaseMinutes, 'min'));
        if (strategy === 'candidate') {
          // billed from its CreateEndpoint (DeployEndpoint) to its DeleteEndpoint (PromoteEndpoint)
          const candidateMinutes = (exitOf(run.history, 'PromoteEndpoint') - exitOf(run.history, 'DeployEndpoint')) / scale / 60_000;
          figures.push(
            figure(`candidate-endpoint-minutes.${scenario.id}`, MEASUREMENT, `the candidate endpoint's life, simulated minutes (${label})`, candidateMinutes, 'min'),
            figure(`cost.${scenario.id}.candidate.endpoint-usd-per-1000`, MEASUREMENT, `its instance hours, 1,000 releases (1 × ml.m5.large; ${label})`, candidateEndpointUsd(candidateMinutes) * 1000, 'USD'),
          );
          details[`${scenario.id}.candidate-endpoint-minutes`] = candidateMinutes;
        }
        details[`${scenario.id}${suffix}.release-minutes`] = releaseMinutes;
        figures.push(
          figure(`transitions.${scenario.id}${suffix}`, MEASUREMENT, `state transitions per deployment (8 min endpoint, 2 min output, ${label})`, bill.stateTransitions, '', 'goal' in scenario && !suffix ? scenario.goal : undefined),
          figure(`lambda-invocations.${scenario.id}${suffix}`, MEASUREMENT, `Lambda invocations per deployment (${label}; ${eventInvocations} by events)`, lambdaInvocations, ''),
          figure(`aws-calls.${scenario.id}${suffix}`, MEASUREMENT, `AWS API calls per deployment: the steps' and StartExecution (${label})`, apiCalls, ''),
          figure(`cost.${scenario.id}${suffix}.usd-per-1000`, MEASUREMENT, `cost of 1,000 deployments at us-east-1 prices: Step Functions, Lambda, logs, S3 requests (${label})`, price.totalUsd * 1000, 'USD'),
        );
        if (scenario.id === 'realistic' && strategy === FIRST_DEPLOYMENT) {
          const endpointDetected = exitOf(run.history, 'WaitForEndpoint') - (await endpointReadyAt(bench, endpointName));
          const outputs = exitsOf(run.history, 'WaitForOutput');
          const outputDetected = median(outputs.map((exit, i) => exit - notificationTimes(bench, notificationsBefore)[i]));
          figures.push(
            figure('detection.endpoint-seconds', MEASUREMENT, 'endpoint InService → wait resumed (local, real time) + AWS event delivery (assumed)', endpointDetected / 1000 + AWS_EVENT_DELIVERY_SECONDS, 's', atMost(5)),
            figure('detection.output-seconds', MEASUREMENT, 'output notification → wait resumed (median, local) + AWS delivery (assumed)', outputDetected / 1000 + AWS_EVENT_DELIVERY_SECONDS, 's', atMost(5)),
          );
          details[`${scenario.id}${suffix}`] = { bill, eventInvocations, price, apiCalls: sortedCounts(calls), endpointDetectedLocalMs: endpointDetected, outputDetectedLocalMs: outputDetected, wallMs: run.wallMs };
        } else {
          details[`${scenario.id}${suffix}`] = { bill, eventInvocations, price, apiCalls: sortedCounts(calls), wallMs: run.wallMs };
        }
      }
    }
    // The polling design this replaced, on an ideal clock: 30 s / 10 s polls growing to 1.5×, 3 cases.
    const polling = pollingModel(3);
    figures.push(
      figure('transitions.realistic.polling-model', MEASUREMENT, 'the former poll loops, modelled (30 s / 10 s polls, 3 cases)', polling.transitions, ''),
      figure('cost.ci-runner-polling.usd-per-1000', MEASUREMENT, '1,000 CI jobs polling 10 minutes each instead (GitHub-hosted Linux, 2 vCPU)', CI_RUNNER_POLLING_USD * 1000, 'USD'),
    );
    details.pollingModel = polling;
    return { figures, details };
  } finally {
    await bench.stop();
  }
}

/** service:operation → calls, most first: where a deployment's calls go. */
function sortedCounts(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function deployment(example: ExampleV1, endpointName: string, cases: number, scale: number, release: Partial<ExecutionInput> = {}): ExecutionInput {
  return {
    modelDataUrl: example.modelDataUrl,
    endpointName,
    image: 'local/echo:latest',
    environment: { AEP_FAULT: `slow:${Math.round(OUTPUT_SECONDS * scale * 1000)}` },
    smokeTests: Array.from({ length: cases }, (_, i) => ({
      name: `echo-${i}`,
      payloadUri: example.smokeCase.payloadUri,
      contentType: 'application/json',
      // The echo container answers with its input: the payload is its own baseline.
      baseline: { uri: example.smokeCase.payloadUri },
      compare: { mode: 'exact' as const },
    })),
    ...release,
  } as ExecutionInput;
}

/** ValidateInput … DeployEndpoint, the Map, Verdict?, Finalize, Succeed, plus the loops: what the polling ASL cost. */
function pollingModel(cases: number) {
  const endpoint = modelPollLoop(ENDPOINT_CREATION_SECONDS, 30, READINESS_POLL_MAX_FACTOR);
  const output = modelPollLoop(OUTPUT_SECONDS, 10, READINESS_POLL_MAX_FACTOR);
  const fixed = 6 + 1 + 1 + 3 + cases * 4; // up to DeployEndpoint, WaitForEndpoint (Pass), Map, Verdict?/Finalize/Succeed; per case SmokeInvoke, WaitForOutput (Pass), CompareToBaseline, iteration
  return { transitions: fixed + endpoint.stateTransitions + cases * output.stateTransitions, lambdaInvocations: 9 + endpoint.polls + cases * (2 + output.polls), endpoint, output };
}

function asyncNotifications(bench: BenchAws) {
  return [...bench.aws.services.sns.messages(bench.aws.names.asyncSuccessTopicArn), ...bench.aws.services.sns.messages(bench.aws.names.asyncErrorTopicArn)];
}

function notificationTimes(bench: BenchAws, since: number): number[] {
  return asyncNotifications(bench).slice(since).map((m) => Date.parse(m.timestamp)).sort((a, b) => a - b);
}

function exitsOf(history: readonly HistoryEventOutput[], state: string): number[] {
  return history.filter((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === state).map((e) => e.timestamp.getTime()).sort((a, b) => a - b);
}

function exitOf(history: readonly HistoryEventOutput[], state: string): number {
  const exits = exitsOf(history, state);
  if (exits.length === 0) throw new Error(`the history has no exit of ${state}`);
  return exits[exits.length - 1];
}

async function endpointReadyAt(bench: BenchAws, endpointName: string): Promise<number> {
  const endpoint = await bench.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  return endpoint.LastModifiedTime!.getTime();
}

/** From ExecutionStarted to the execution's end, as the history's timestamps say. */
function executionMs(history: readonly HistoryEventOutput[]): number {
  return history[history.length - 1].timestamp.getTime() - history[0].timestamp.getTime();
}

/** Median run time of the Lambda Tasks in the history (scheduled → succeeded), as a stand-in for billed duration. */
function lambdaMsMedian(history: readonly HistoryEventOutput[]): number {
  const spans: number[] = [];
  let started: number | undefined;
  for (const e of history) {
    if (e.type === 'LambdaFunctionStarted') started = e.timestamp.getTime();
    if ((e.type === 'LambdaFunctionSucceeded' || e.type === 'LambdaFunctionFailed') && started !== undefined) {
      spans.push(e.timestamp.getTime() - started);
      started = undefined;
    }
  }
  return spans.length > 0 ? median(spans) : 0;
}

/** The execution history as JSON: what the state machine's log group (level ALL, with data) ingests, roughly. */
function historyBytes(history: readonly HistoryEventOutput[]): number {
  return history.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
}

export type { ExecutionBill };
