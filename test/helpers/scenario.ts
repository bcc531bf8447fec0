import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  DescribeEndpointCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import type { AuditRecord } from '../../functions/lib/audit';
import type { DeploymentEvent } from '../../functions/lib/deployment-events';
import { artifactKeys, isDerivedName, resourceNames } from '../../functions/lib/names';
import { create as createTar } from 'tar';
import { ADMIN_TOKEN_HEADER } from '../../local/request-guard';
import { startTestAws, type TestAws, type TestAwsOptions } from './embedded';

/**
 * What every failure scenario checks, in one place: how the execution ended, the audit record, the deployment-events
 * message, exactly which SageMaker resources are left (by List calls, as a user would look), and whether the endpoint
 * still answers. Scenarios share one embedded AWS, so everything is scoped to one endpoint name.
 */

export interface FinishedExecution {
  executionArn: string;
  name: string;
  described: DescribeExecutionCommandOutput;
  history: HistoryEvent[];
}

export function executionArnOf(t: TestAws, name: string): string {
  return `${t.aws.names.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export async function startDeployment(t: TestAws, name: string, input: unknown): Promise<string> {
  const { executionArn } = await t.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: t.aws.names.stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return executionArn!;
}

/** Waits for the execution to end, then reads it back through the API: DescribeExecution and the whole history. */
export async function finishExecution(t: TestAws, executionArn: string): Promise<FinishedExecution> {
  await t.aws.services.stepFunctions.waitForExecution(executionArn);
  const described = await t.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  return { executionArn, name: described.name!, described, history: await executionHistory(t, executionArn) };
}

export async function runDeployment(t: TestAws, name: string, input: unknown): Promise<FinishedExecution> {
  return finishExecution(t, await startDeployment(t, name, input));
}

export async function executionHistory(t: TestAws, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await t.clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** status, error and cause side by side, so a failed expectation shows why the run ended as it did. */
export function outcome({ described }: FinishedExecution): { status?: string; error?: string; cause?: string } {
  return { status: described.status, error: described.error, cause: described.cause };
}

export interface SageMakerInventory {
  models: string[];
  endpointConfigs: string[];
  endpoints: string[];
}

/** Every model, endpoint config and endpoint of an endpoint name (itself and the names derived from it), sorted. */
export async function inventory(client: SageMakerClient, endpointName: string): Promise<SageMakerInventory> {
  const mine = (name: string | undefined) => name !== undefined && (name === endpointName || isDerivedName(endpointName, name));
  return {
    models: (await listAll(client, 'models')).filter(mine).sort(),
    endpointConfigs: (await listAll(client, 'endpointConfigs')).filter(mine).sort(),
    endpoints: (await listAll(client, 'endpoints')).filter(mine).sort(),
  };
}

/** Names of every resource of one kind in the account, through the paginated List call. */
async function listAll(client: SageMakerClient, kind: keyof SageMakerInventory): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    if (kind === 'models') {
      const page = await client.send(new ListModelsCommand({ NextToken, MaxResults: 100 }));
      names.push(...(page.Models ?? []).map((m) => m.ModelName!));
      NextToken = page.NextToken;
    } else if (kind === 'endpointConfigs') {
      const page = await client.send(new ListEndpointConfigsCommand({ NextToken, MaxResults: 100 }));
      names.push(...(page.EndpointConfigs ?? []).map((c) => c.EndpointConfigName!));
      NextToken = page.NextToken;
    } else {
      const page = await client.send(new ListEndpointsCommand({ NextToken, MaxResults: 100 }));
      names.push(...(page.Endpoints ?? []).map((e) => e.EndpointName!));
      NextToken = page.NextToken;
    }
  } while (NextToken);
  return names;
}

/** Every model, endpoint config and endpoint in the account, sorted. */
export async function accountInventory(client: SageMakerClient): Promise<SageMakerInventory> {
  return {
    models: (await listAll(client, 'models')).sort(),
    endpointConfigs: (await listAll(client, 'endpointConfigs')).sort(),
    endpoints: (await listAll(client, 'endpoints')).sort(),
  };
}

/** The account holds no SageMaker resource at all. */
export async function expectNoSageMakerResources(client: SageMakerClient): Promise<void> {
  expect(await accountInventory(client)).toEqual({ models: [], endpointConfigs: [], endpoints: [] });
}

/** The model and endpoint-config names an execution derives for an endpoint. */
export function runResources(endpointName: string, executionArn: string): { model: string; endpointConfig: string } {
  const names = resourceNames(endpointName, executionArn);
  return { model: names.model, endpointConfig: names.endpointConfig };
}

/**
 * Where an execution's audit record is: audit/<endpoint>/<execution>.json, audit/_invalid/ without a valid endpoint.
 * (functions/lib/audit's auditKey, restated: importing that module would create the step logger before
 * startTestAws silences it.)
 */
export function auditKey(endpointName: string | undefined, executionName: string): string {
  return artifactKeys.audit(endpointName ?? '_invalid', executionName);
}

/** The audit record of an execution: audit/<endpoint>/<execution>.json (audit/_invalid/ without a valid endpoint). */
export async function readAuditRecord(t: TestAws, endpointName: string | undefined, executionName: string): Promise<AuditRecord> {
  const object = await t.clients.s3.send(
    new GetObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: auditKey(endpointName, executionName) }),
  );
  return JSON.parse(await object.Body!.transformToString()) as AuditRecord;
}

/** The deployment-events messages published for one execution (a retried step may publish one twice). */
export async function deploymentEvents(t: TestAws, executionArn: string): Promise<DeploymentEvent[]> {
  const topicArn = t.aws.names.deploymentEventsTopicArn;
  const response = await fetch(`${t.aws.url}/_aep/sns/messages?topicArn=${encodeURIComponent(topicArn)}`, {
    headers: { [ADMIN_TOKEN_HEADER]: t.aws.adminToken },
  });
  if (!response.ok) throw new Error(`GET /_aep/sns/messages answered ${response.status}: ${await response.text()}`);
  const { messages } = (await response.json()) as { messages: { message: string }[] };
  return messages
    .map((m) => JSON.parse(m.message) as DeploymentEvent)
    .filter((event) => event.execution?.arn === executionArn);
}

export interface ExpectedEnding {
  /** The endpoint the run is about; undefined when the input never named a valid one (recorded under _invalid). */
  endpointName: string | undefined;
  status: 'SUCCEEDED' | 'FAILED';
  /** The execution's error name (FAILED only). */
  error?: string;
  /** What the cause must say. */
  cause?: RegExp;
  /** Exactly the resources left for endpointName; default none (none at all in the account without an endpoint). */
  left?: SageMakerInventory;
  /** The endpoint config the endpoint must be serving (InService) afterwards, if any. */
  serving?: string;
  /** The request body the serving endpoint must answer; default a small JSON document. */
  payload?: string;
}

const NOTHING: SageMakerInventory = { models: [], endpointConfigs: [], endpoints: [] };

/**
 * Everything a scenario promises, checked together: terminal status and error, the audit record (verdict, error,
 * execution), the deployment-events message with the same error, the exact resources left, and the endpoint
 * serving `serving` and answering.
 */
export async function expectEnding(t: TestAws, run: FinishedExecution, expected: ExpectedEnding): Promise<void> {
  const failed = expected.status === 'FAILED';
  expect(outcome(run)).toEqual({
    status: expected.status,
    error: failed ? expected.error : undefined,
    cause: failed ? expect.stringMatching(expected.cause ?? /./) : undefined,
  });

  const audit = await readAuditRecord(t, expected.endpointName, run.name);
  expect(audit).toMatchObject({ verdict: failed ? 'failed' : 'passed', execution: { id: run.executionArn, name: run.name } });
  expect(audit.endpointName).toBe(expected.endpointName);
  if (failed) expect(audit.error).toMatchObject({ Error: expected.error });

  const events = await deploymentEvents(t, run.executionArn);
  // One message per execution; a retried RecordFailure/Finalize may repeat it (consumers deduplicate on the ARN).
  expect(events.length).toBeGreaterThanOrEqual(1);
  for (const event of events) {
    expect(event).toMatchObject({
      type: failed ? 'DeploymentFailed' : 'DeploymentSucceeded',
      endpointName: expected.endpointName ?? '_invalid',
      verdict: failed ? 'failed' : 'passed',
      auditUri: `s3://${t.aws.names.artifactsBucket}/${auditKey(expected.endpointName, run.name)}`,
      ...(failed ? { error: { Error: expected.error } } : {}),
    });
  }

  if (expected.endpointName === undefined) await expectNoSageMakerResources(t.clients.sagemaker);
  else expect(await inventory(t.clients.sagemaker, expected.endpointName)).toEqual(expected.left ?? NOTHING);
  if (expected.serving !== undefined) await expectServing(t, expected.endpointName!, expected.serving, expected.payload);
}

/** The endpoint is InService on `configName` and answers a real-time invocation with 200. */
export async function expectServing(t: TestAws, endpointName: string, configName: string, body = '{"ping":1}'): Promise<Buffer> {
  const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  expect({ status: endpoint.EndpointStatus, config: endpoint.EndpointConfigName }).toEqual({ status: 'InService', config: configName });
  const answer = await t.clients.sagemakerRuntime.send(
    new InvokeEndpointCommand({ EndpointName: endpointName, Body: Buffer.from(body), ContentType: 'application/json' }),
  );
  return Buffer.from(answer.Body!);
}

/** The Lambda failures of a history, as (state, error) pairs in order: what the Retry rules absorbed or not. */
export function lambdaFailures(history: HistoryEvent[]): { state: string; error: string }[] {
  const stateOf = stateOfEvents(history);
  return history
    .filter((e) => e.type === 'LambdaFunctionFailed' || e.type === 'LambdaFunctionTimedOut')
    .map((e) => ({
      state: stateOf.get(e.id!) ?? '?',
      error: e.lambdaFunctionFailedEventDetails?.error ?? e.lambdaFunctionTimedOutEventDetails?.error ?? '?',
    }));
}

/** How many times each Task state's function was called (retries and poll loops included). */
export function invocationCounts(history: HistoryEvent[]): Record<string, number> {
  const stateOf = stateOfEvents(history);
  const counts: Record<string, number> = {};
  for (const e of history) {
    if (e.type !== 'LambdaFunctionScheduled') continue;
    const state = stateOf.get(e.id!) ?? '?';
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}

/** When a state was first entered and last exited in a history: its window on the clock. */
export function stateWindow(history: HistoryEvent[], stateName: string): { enteredAt: number; exitedAt: number } | undefined {
  const entered = history.filter((e) => e.stateEnteredEventDetails?.name === stateName);
  const exited = history.filter((e) => e.stateExitedEventDetails?.name === stateName);
  if (entered.length === 0) return undefined;
  return {
    enteredAt: entered[0].timestamp!.getTime(),
    exitedAt: (exited.at(-1) ?? entered.at(-1)!).timestamp!.getTime(),
  };
}

/** The names of the states entered, in order. */
export function statesEntered(history: HistoryEvent[]): string[] {
  return history.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails!.name!);
}

/** Maps each event to the state it belongs to, following previousEventId back to the nearest StateEntered. */
function stateOfEvents(history: HistoryEvent[]): Map<number, string> {
  const byId = new Map(history.map((e) => [e.id!, e]));
  const result = new Map<number, string>();
  for (const event of history) {
    let cursor: HistoryEvent | undefined = event;
    while (cursor && !cursor.stateEnteredEventDetails) cursor = byId.get(cursor.previousEventId!);
    if (cursor?.stateEnteredEventDetails?.name) result.set(event.id!, cursor.stateEnteredEventDetails.name);
  }
  return result;
}

/** Polls `attempt` until it returns without throwing, or the deadline passes (then its last error is thrown). */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/**
 * Watches something from outside while a run goes on: `sample` is called again and again (a pause of `intervalMs`
 * between calls) until stop(), which waits for the sample in progress.
 */
export function sampleUntilStopped(sample: () => Promise<void>, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Where the echo fixtures live: outside models/, so uploading them starts nothing. */
export const ECHO_FIXTURES = {
  artifact: 's3://aep-models/fixtures/echo/model.tar.gz',
  payload: 's3://aep-models/fixtures/echo/payload.json',
  baseline: 's3://aep-models/fixtures/echo/baseline.json',
  /** The echo container answers with its input, so payload = baseline passes the exact comparison. */
  body: '{"hello":"echo"}',
};

/** A real gzip-compressed tar for the echo container, its smoke payload and baseline, in the embedded S3. */
export async function uploadEchoFixtures(t: TestAws): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aep-echo-model-'));
  try {
    writeFileSync(join(dir, 'model.txt'), 'the echo model has no weights\n');
    await createTar({ gzip: true, file: join(dir, 'model.tar.gz'), cwd: dir }, ['model.txt']);
    const put = (uri: string, body: Buffer | string) => {
      const [, Bucket, Key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
      return t.clients.s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
    };
    await put(ECHO_FIXTURES.artifact, readFileSync(join(dir, 'model.tar.gz')));
    await put(ECHO_FIXTURES.payload, ECHO_FIXTURES.body);
    await put(ECHO_FIXTURES.baseline, ECHO_FIXTURES.body);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One embedded AWS with the echo fixtures, shared by a test file's tests: started before them, stopped after
 * (it registers the beforeAll and afterAll). Call what it returns inside a test or a later hook.
 */
export function sharedEchoAws(options: TestAwsOptions = {}): () => TestAws {
  let t: TestAws | undefined;
  beforeAll(async () => {
    t = await startTestAws(options);
    await uploadEchoFixtures(t);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });
  return () => {
    if (!t) throw new Error('The embedded AWS did not start: see the beforeAll error.');
    return t;
  };
}

export interface EchoOptions {
  /** AEP_FAULT of the echo container: exit-at-start, never-healthy, http-500, slow:<ms>. */
  fault?: string;
  image?: string;
  invocationTimeoutSeconds?: number;
  outputTimeoutSeconds?: number;
  endpointTimeoutSeconds?: number;
  onFailure?: 'rollback' | 'keep';
}

/** The execution input deploying the echo container to `endpointName`, with one exact smoke case and short polls. */
export function echoDeployment(endpointName: string, options: EchoOptions = {}): Record<string, unknown> {
  return {
    modelDataUrl: ECHO_FIXTURES.artifact,
    endpointName,
    image: options.image ?? 'local/echo:latest',
    environment: options.fault ? { AEP_FAULT: options.fault } : {},
    async: { maxConcurrentInvocationsPerInstance: 2, invocationTimeoutSeconds: options.invocationTimeoutSeconds ?? 60 },
    smokeTests: [
      {
        name: 'echo',
        payloadUri: ECHO_FIXTURES.payload,
        contentType: 'application/json',
        baseline: { uri: ECHO_FIXTURES.baseline },
        compare: { mode: 'exact' },
      },
    ],
    poll: { endpointSeconds: 5, outputSeconds: 5, lockSeconds: 5 },
    timeouts: {
      endpointSeconds: options.endpointTimeoutSeconds ?? 120,
      outputSeconds: options.outputTimeoutSeconds ?? 60,
      lockSeconds: 600,
    },
    ...(options.onFailure ? { onFailure: options.onFailure } : {}),
  };
}
