import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { Dispatcher } from '../../local/dispatcher';
import { stepFunction, type StepHandler } from '../../local/lambda/step-function';
import { pipelineResources } from '../../local/pipeline-resources';
import { loadPipelineDefinition } from '../../local/stepfunctions/definition';
import { WorkflowRunner } from '../../local/stepfunctions/runner';
import { INTERRUPTED_ERROR, StepFunctionsService } from '../../local/stepfunctions/service';
import type { TaskTokens } from '../../local/stepfunctions/task-tokens';
import { BaselineMismatch, EndpointCreationFailed, TransientError } from '../../functions/lib/errors';

/**
 * The embedded Step Functions running the real ASL file with in-memory step handlers (stand-ins for
 * functions/<step>): the workflow's paths, the history AWS would record, the API's errors, persistence.
 */

const REGION = 'us-east-1';
const resources = pipelineResources(REGION);
const definition = loadPipelineDefinition(REGION);

interface Scenario {
  /** What CompareToBaseline says per case index. */
  passed?: boolean[];
  /** false: no event ever resumes WaitForEndpoint / WaitForOutput, so their timeouts lead to the re-checks. */
  events?: boolean;
  /** DeployEndpoint throws this. */
  deployError?: Error;
  /** CreateModel throws a TransientError this many times first. */
  transientModelFailures?: number;
  /** DescribeEndpoint never becomes ready (for StopExecution / shutdown). */
  endpointNeverReady?: boolean;
}

/** In-memory steps that move the pipeline state along as the real ones do (shapes of functions/lib/pipeline-state). */
function fakeSteps(scenario: Scenario, tokens: TaskTokens): Record<string, StepHandler> {
  const outputPolls = new Map<number, number>();
  let lockPolls = 0;
  let endpointPolls = 0;
  let modelFailures = 0;
  type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const endpointPoll = (state: Input) => ({ endpointName: 'recommender', phase: 'gate', ready: true, cases: state.config.smokeTests });
  return {
    'validate-input': (e) => {
      const { state, execution } = e as Input;
      return {
        execution,
        config: {
          modelDataUrl: state.modelDataUrl,
          smokeTests: [{ name: 'a' }, { name: 'b' }],
          poll: { endpointSeconds: 30, outputSeconds: 10, lockSeconds: 30 },
          timeouts: { endpointSeconds: 3600, outputSeconds: 1200, lockSeconds: 3600 },
          async: { maxConcurrentInvocationsPerInstance: 4, invocationTimeoutSeconds: 900 },
        },
        names: { endpoint: 'recommender' },
      };
    },
    'acquire-lock': () => ({ acquired: ++lockPolls > 1, nextPollSeconds: 30 }),
    'create-model': () => {
      if (modelFailures++ < (scenario.transientModelFailures ?? 0)) throw new TransientError('ThrottlingException: slow down');
      return { name: 'recommender-m', arn: 'arn:model', createdNow: true };
    },
    'create-endpoint-config': () => ({ name: 'recommender-c', arn: 'arn:config', createdNow: true }),
    'deploy-endpoint': () => {
      if (scenario.deployError) throw scenario.deployError;
      return { action: 'create', strategy: 'new', startedAt: new Date().toISOString() };
    },
    // As DescribeEndpoint answers: the endpoint waited for, the phase, and (once ready) the cases to run against it.
    'describe-endpoint': (e) => {
      const ready = !scenario.endpointNeverReady && ++endpointPolls > 1;
      return { ...endpointPoll(e as Input), ready, ...(ready ? {} : { cases: undefined }), nextPollSeconds: 30 };
    },
    // Resumed at once, as AwaitEvent's own check does when the endpoint or output is already there.
    'await-event': (e) => {
      const { taskToken, wait } = e as Input;
      const ready = scenario.events !== false && !(wait === 'endpoint' && scenario.endpointNeverReady);
      if (ready) tokens.succeed(taskToken, JSON.stringify(wait === 'endpoint' ? endpointPoll((e as Input).state) : { ready: true, polls: 1 }));
      return {};
    },
    'smoke-invoke': (e) => ({ inferenceId: `inf-${(e as Input).index}` }),
    'check-output': (e) => {
      const { index } = e as Input;
      const polls = (outputPolls.get(index) ?? 0) + 1;
      outputPolls.set(index, polls);
      return { ready: polls > 1, polls, nextPollSeconds: 10 };
    },
    'compare-to-baseline': (e) => {
      const { index, case: c } = e as Input;
      const passed = scenario.passed?.[index] ?? true;
      return { name: c.name, passed, ...(passed ? {} : { cause: `case ${c.name}: top-5 overlap 0.2 < 0.8` }) };
    },
    finalize: (e) => ({ endpointName: (e as Input).state.names.endpoint, verdict: 'passed', cases: (e as Input).state.smoke.cases }),
    rollback: () => ({ complete: true, actions: ['deleted model recommender-m'], kept: [], nextPollSeconds: 30 }),
    'record-failure': (e) => {
      const { Error: error, Cause: cause } = (e as Input).state.error;
      return { Error: error, Cause: `${cause} (rolled back)` };
    },
  };
}

class Harness {
  readonly dispatcher = new Dispatcher(REGION);
  readonly service: StepFunctionsService;
  readonly stateMachineArn: string;
  client!: SFNClient;

  constructor(readonly dataDir: string, scenario: Scenario, waitScale: number) {
    this.service = new StepFunctionsService({ dataDir, region: REGION, faults: this.dispatcher.faults });
    const steps = fakeSteps(scenario, this.service.tokens);
    const runner = new WorkflowRunner({
      definition,
      tokens: this.service.tokens,
      waitScale,
      roleArn: resources.stateMachineRoleArn,
      functionFor: (arn) => stepFunction(arn, (step) => steps[step]),
    });
    this.stateMachineArn = this.service.createStateMachine({
      name: 'aep-deploy-async-endpoint',
      definition,
      runner,
      roleArn: resources.stateMachineRoleArn,
    });
    this.dispatcher.register(this.service);
  }

  async start(): Promise<this> {
    const endpoint = await this.dispatcher.listen(0);
    this.client = new SFNClient({ endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    return this;
  }

  async run(input: object = { modelDataUrl: 's3://aep-models/models/recommender/v1/model.tar.gz' }, name?: string) {
    const { executionArn } = await this.client.send(
      new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, input: JSON.stringify(input), name }),
    );
    await this.service.waitForExecution(executionArn!);
    const described = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    return { executionArn: executionArn!, described, history: await this.history(executionArn!) };
  }

  async history(executionArn: string): Promise<HistoryEvent[]> {
    const { events } = await this.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    return events!;
  }

  async close(): Promise<void> {
    this.client?.destroy();
    await this.dispatcher.close();
  }
}

const harnesses: Harness[] = [];
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'aep-sfn-'));
  dirs.push(dir);
  return dir;
};
async function harness(scenario: Scenario = {}, waitScale = 0.001, dataDir = tempDir()): Promise<Harness> {
  const h = await new Harness(dataDir, scenario, waitScale).start();
  harnesses.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const types = (history: HistoryEvent[]) => history.map((e) => e.type);
const ofType = (history: HistoryEvent[], type: string) => history.filter((e) => e.type === type);

describe('a run of the pipeline ASL', () => {
  test('succeeds through the lock loop and the event-resumed waits, with the Map over both smoke cases', async () => {
    const h = await harness();
    const { executionArn, described, history } = await h.run();

    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toMatchObject({ endpointName: 'recommender', verdict: 'passed' });
    expect(described.stopDate!.getTime()).toBeGreaterThanOrEqual(described.startDate!.getTime());

    expect(history[0].type).toBe('ExecutionStarted');
    expect(history[history.length - 1].type).toBe('ExecutionSucceeded');
    expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
    for (const event of history.slice(1)) expect(event.previousEventId).toBeLessThan(event.id!);

    // A Lambda-ARN Task is recorded with AWS's LambdaFunction* events, carrying the payload the function received.
    const scheduled = ofType(history, 'LambdaFunctionScheduled');
    const validate = scheduled[0].lambdaFunctionScheduledEventDetails!;
    expect(validate.resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:aep-validate-input');
    const payload = JSON.parse(validate.input!);
    expect(payload.execution).toMatchObject({ id: executionArn, name: executionArn.split(':').pop() });
    expect(payload.state.modelDataUrl).toContain('model.tar.gz');
    expect(ofType(history, 'LambdaFunctionSucceeded')).toHaveLength(scheduled.length);

    const mapStarted = ofType(history, 'MapStateStarted');
    expect(mapStarted[0].mapStateStartedEventDetails!.length).toBe(2);
    expect(ofType(history, 'MapIterationStarted').map((e) => e.mapIterationStartedEventDetails!.index).sort()).toEqual([0, 1]);
    expect(ofType(history, 'MapIterationSucceeded')).toHaveLength(2);
    // Only the lock polls; the endpoint wait and each case's output wait are callback Tasks resumed by their token.
    expect(ofType(history, 'WaitStateEntered').map((e) => e.stateEnteredEventDetails!.name)).toEqual(['WaitForLock']);
    const callbacks = ofType(history, 'TaskScheduled').map((e) => e.taskScheduledEventDetails!);
    expect(callbacks).toHaveLength(3);
    expect(callbacks[0]).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken' });
    expect(JSON.parse(callbacks[0].parameters!)).toMatchObject({ FunctionName: expect.stringMatching(/:function:aep-await-event$/), Payload: { wait: 'endpoint', taskToken: expect.stringMatching(/^AQ/) } });
    expect(ofType(history, 'TaskSucceeded')).toHaveLength(3);
    expect(history.filter((e) => e.stateEnteredEventDetails?.name === 'DescribeEndpoint')).toHaveLength(0);
    expect(types(history)).toEqual(expect.arrayContaining(['MapStateEntered', 'ChoiceStateExited', 'SucceedStateEntered']));
  });

  test('scales Waits and callback timeouts: without events, WaitForEndpoint and each WaitForOutput time out into their re-checks', async () => {
    // Scale 0.01: WaitForLock and the endpoint wait (poll 30 s) take 300 ms, each output wait (poll 10 s) 100 ms.
    const h = await harness({ events: false }, 0.01);
    const { described, history } = await h.run();
    expect(described.status).toBe('SUCCEEDED');
    const span = (entered: HistoryEvent, endType: string) => {
      const end = history.find((e) => e.id! > entered.id! && e.type === endType && e.previousEventId! >= entered.id!);
      return end!.timestamp!.getTime() - entered.timestamp!.getTime();
    };
    const lock = history.find((e) => e.type === 'WaitStateEntered')!;
    expect(span(lock, 'WaitStateExited')).toBeGreaterThanOrEqual(280);
    const timedOut = ofType(history, 'TaskTimedOut');
    // The endpoint: two timeouts (DescribeEndpoint is ready at its second call); each case's output: two.
    expect(timedOut.map((e) => e.taskTimedOutEventDetails!.error)).toEqual(Array(6).fill('States.Timeout'));
    const started = ofType(history, 'TaskStarted');
    const waitedMs = timedOut.map((t) => t.timestamp!.getTime() - started.filter((s) => s.id! < t.id!).at(-1)!.timestamp!.getTime());
    expect(Math.max(...waitedMs)).toBeGreaterThanOrEqual(250);
    expect(Math.min(...waitedMs)).toBeLessThan(Math.max(...waitedMs));
    const reChecks = history.filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateEnteredEventDetails!.name);
    expect(reChecks.filter((n) => n === 'DescribeEndpoint')).toHaveLength(2);
    expect(reChecks.filter((n) => n === 'CheckOutput')).toHaveLength(4);
  });

  test('a smoke case off its baseline fails the gate: rollback, then FAILED with BaselineMismatch', async () => {
    const h = await harness({ passed: [true, false] });
    const { described, history } = await h.run();

    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('BaselineMismatch');
    expect(described.cause).toContain('case b: top-5 overlap 0.2 < 0.8');
    const entered = ofType(history, 'TaskStateEntered').map((e) => e.stateEnteredEventDetails!.name);
    expect(entered.slice(-2)).toEqual(['Rollback', 'RecordFailure']);
    expect(entered).not.toContain('Finalize');
    expect(history[history.length - 1].executionFailedEventDetails).toMatchObject({ error: 'BaselineMismatch' });
  });

  test("a step's typed error is the Lambda's errorType, its cause the runtime's JSON, and the Catch leads to rollback", async () => {
    const h = await harness({ deployError: new EndpointCreationFailed('CreateEndpoint refused: quota of ml.m5.large reached') });
    const { described, history } = await h.run();

    const failed = ofType(history, 'LambdaFunctionFailed')[0].lambdaFunctionFailedEventDetails!;
    expect(failed.error).toBe('EndpointCreationFailed');
    expect(JSON.parse(failed.cause!)).toMatchObject({
      errorType: 'EndpointCreationFailed',
      errorMessage: 'CreateEndpoint refused: quota of ml.m5.large reached',
    });
    // Caught: the Task exits and the failure path runs.
    const after = types(history).slice(types(history).indexOf('LambdaFunctionFailed') + 1, types(history).indexOf('LambdaFunctionFailed') + 3);
    expect(after).toEqual(['TaskStateExited', 'TaskStateEntered']);
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('EndpointCreationFailed');
  });

  test('a TransientError is retried (scaled backoff) and the run carries on', async () => {
    const h = await harness({ transientModelFailures: 2 });
    const { described, history } = await h.run();

    expect(described.status).toBe('SUCCEEDED');
    const createModel = history.filter(
      (e) => e.lambdaFunctionScheduledEventDetails?.resource?.endsWith(':function:aep-create-model'),
    );
    expect(createModel).toHaveLength(3);
    expect(ofType(history, 'LambdaFunctionFailed').map((e) => e.lambdaFunctionFailedEventDetails!.error)).toEqual([
      'TransientError',
      'TransientError',
    ]);
  });

  test('BaselineMismatch thrown by a step (not the Verdict) also ends FAILED with that name', async () => {
    const h = await harness({ deployError: new BaselineMismatch('reference endpoint disagrees') });
    const { described } = await h.run();
    expect(described.error).toBe('BaselineMismatch');
  });
});

describe('the Step Functions API', () => {
  const input = JSON.stringify({ modelDataUrl: 's3://aep-models/models/recommender/v1/model.tar.gz' });

  test('StartExecution is idempotent for the same name and input while running, and refuses anything else', async () => {
    const h = await harness({ endpointNeverReady: true });
    const stateMachineArn = h.stateMachineArn;
    const first = await h.client.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1', input }));
    const again = await h.client.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1', input }));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);

    await expect(
      h.client.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1', input: '{"modelDataUrl":"s3://x/y"}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${first.executionArn}'` });

    const stopped = await h.client.send(
      new StopExecutionCommand({ executionArn: first.executionArn, error: 'Operator', cause: 'wrong model' }),
    );
    const described = await h.client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'wrong model', stopDate: stopped.stopDate });
    const history = await h.history(first.executionArn!);
    expect(history[history.length - 1]).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'wrong model' },
    });
    // Closed: the name is taken for good, whatever the input.
    await expect(h.client.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1', input }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  });

  test("StartExecution refuses bad requests with AWS's codes and messages", async () => {
    const h = await harness();
    const stateMachineArn = h.stateMachineArn;
    const start = (request: Record<string, string>) => h.client.send(new StartExecutionCommand({ stateMachineArn, ...request }));

    const tooBig = JSON.stringify({ blob: 'x'.repeat(262_144) });
    await expect(start({ input: tooBig })).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have size less than or equal to 262144 bytes in UTF-8 encoding",
    });
    // Exactly 262144 bytes is allowed (multi-byte characters count as bytes).
    const exact = `"${'é'.repeat((262_144 - 2) / 2)}"`;
    expect(Buffer.byteLength(exact)).toBe(262_144);
    await expect(start({ input: exact })).resolves.toMatchObject({ executionArn: expect.any(String) });

    await expect(start({ input: '{"a":' })).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message: expect.stringMatching(/^Invalid State Machine Execution Input: '.+'$/),
    });
    await expect(start({ name: 'a b', input })).rejects.toMatchObject({ name: 'InvalidName', message: "Invalid Name: 'a b'" });
    await expect(start({ name: 'n'.repeat(81), input })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"),
    });
    const missing = stateMachineArn.replace('aep-deploy-async-endpoint', 'nope');
    await expect(h.client.send(new StartExecutionCommand({ stateMachineArn: missing, input }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
      message: `State Machine Does Not Exist: '${missing}'`,
    });
    await expect(h.client.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn', input }))).rejects.toMatchObject({
      name: 'InvalidArn',
      message: "Invalid Arn: 'Invalid ARN prefix: not-an-arn'",
    });
    const unknown = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:missing`;
    await expect(h.client.send(new DescribeExecutionCommand({ executionArn: unknown }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${unknown}'`,
    });
  });

  test('ListExecutions filters by status and pages; GetExecutionHistory pages and reverses', async () => {
    const h = await harness({ passed: [true, false] });
    const failed = await h.run(undefined, 'failed-run');
    const stateMachineArn = h.stateMachineArn;

    const list = await h.client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED' }));
    expect(list.executions!.map((e) => e.name)).toEqual(['failed-run']);
    const none = await h.client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED' }));
    expect(none.executions).toEqual([]);

    const all = failed.history;
    const firstPage = await h.client.send(new GetExecutionHistoryCommand({ executionArn: failed.executionArn, maxResults: 5 }));
    expect(firstPage.events!.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    const second = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn: failed.executionArn, maxResults: 5, nextToken: firstPage.nextToken }),
    );
    expect(second.events!.map((e) => e.id)).toEqual([6, 7, 8, 9, 10]);
    const reversed = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn: failed.executionArn, maxResults: 2, reverseOrder: true, includeExecutionData: false }),
    );
    expect(reversed.events!.map((e) => e.id)).toEqual([all.length, all.length - 1]);
    expect(reversed.events![0].executionFailedEventDetails).toEqual({ error: 'BaselineMismatch', cause: expect.any(String) });
    await expect(
      h.client.send(new GetExecutionHistoryCommand({ executionArn: failed.executionArn, nextToken: 'garbage' })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  test('ListStateMachines and DescribeStateMachine show the ASL file as deployed', async () => {
    const h = await harness();
    const { stateMachines } = await h.client.send(new ListStateMachinesCommand({}));
    expect(stateMachines).toEqual([expect.objectContaining({ name: 'aep-deploy-async-endpoint', type: 'STANDARD' })]);
    const described = await h.client.send(new DescribeStateMachineCommand({ stateMachineArn: h.stateMachineArn }));
    expect(described.status).toBe('ACTIVE');
    expect(described.definition).not.toContain('${');
    expect(JSON.parse(described.definition!).States.ValidateInput.Resource).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:aep-validate-input',
    );
  });
});

describe('when the history cannot be written', () => {
  const diskFull = (h: Harness, rule: { rate?: number; count?: number }) =>
    h.dispatcher.faults.add({ service: 'disk', operation: 'write', resource: '.history.jsonl', ...rule, error: { code: 'ENOSPC', message: 'no space left on device' } });
  const namesTheWrite = /^Step Functions could not record the execution's history event \w+ \(ENOSPC: no space left on device, write '.*\.history\.jsonl'\), so the execution was stopped/;

  test('an event that cannot be written fails the execution with a cause naming the write; the history has no gap', async () => {
    const h = await harness();
    diskFull(h, { rate: 0.1, count: 1 }); // the 10th history write fails, once
    const { described, history } = await h.run();

    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringMatching(namesTheWrite) });
    expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
    expect(history.filter((e) => e.type?.startsWith('Execution')).map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionFailed']);
    expect(history[history.length - 1]).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.Runtime', cause: described.cause } });
  });

  test('a closing event that cannot be written turns a success into FAILED with that cause', async () => {
    // A rule that never fires counts a whole run's history writes; the same run's last write is its closing event.
    const counting = await harness();
    const counter = counting.dispatcher.faults.add({ service: 'disk', operation: 'write', resource: '.history.jsonl', rate: 0 });
    const { described: counted, history: written } = await counting.run();
    expect(counted.status).toBe('SUCCEEDED');
    const writes = counting.dispatcher.faults.list().find((rule) => rule.id === counter)!.seen;

    const h = await harness();
    diskFull(h, { rate: 1 / writes, count: 1 });
    const { described, history } = await h.run();
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringMatching(/history event ExecutionSucceeded \(ENOSPC/) });
    expect(history).toHaveLength(written.length);
    expect(history[history.length - 1]).toMatchObject({ type: 'ExecutionFailed', id: written.length, executionFailedEventDetails: { cause: described.cause } });
  });
});

describe('persistence', () => {
  test('executions and their histories survive a restart', async () => {
    const dataDir = tempDir();
    const first = await harness({}, 0.001, dataDir);
    const { executionArn, history } = await first.run();
    await first.close();
    harnesses.splice(harnesses.indexOf(first), 1);

    const second = await harness({}, 0.001, dataDir);
    const described = await second.client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(await second.history(executionArn)).toEqual(history);
  });

  test('an execution running at shutdown, or found RUNNING after a crash, is closed as FAILED EmbeddedAwsRestarted', async () => {
    // Shutdown: close() ends it with the cause and the history's closing event.
    const shutDown = await harness({ endpointNeverReady: true });
    const { executionArn } = await shutDown.client.send(
      new StartExecutionCommand({ stateMachineArn: shutDown.stateMachineArn, input: '{}' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await shutDown.service.close();
    const closed = shutDown.service.describeExecution(executionArn!);
    expect(closed).toMatchObject({ status: 'FAILED', error: INTERRUPTED_ERROR, cause: expect.stringContaining('shut down') });
    const events = shutDown.service.history(executionArn!);
    expect(events[events.length - 1]).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: { error: INTERRUPTED_ERROR } });

    // Crash: another process finds the record RUNNING (this one never closed) and closes it at start-up.
    const dataDir = tempDir();
    const crashed = await harness({ endpointNeverReady: true }, 0.001, dataDir);
    const started = await crashed.client.send(new StartExecutionCommand({ stateMachineArn: crashed.stateMachineArn, input: '{}' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const restarted = new StepFunctionsService({ dataDir, region: REGION });
    const found = restarted.describeExecution(started.executionArn!);
    expect(found).toMatchObject({ status: 'FAILED', error: INTERRUPTED_ERROR, cause: expect.stringContaining('has restarted') });
    const history = restarted.history(started.executionArn!);
    expect(history[history.length - 1]).toMatchObject({ type: 'ExecutionFailed', previousEventId: history.length - 1 });
  });
});
