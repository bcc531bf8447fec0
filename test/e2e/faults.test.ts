import { inferenceId } from '../../functions/smoke-invoke/inference-id';
import { startTestAws, type TestAws } from '../helpers/embedded';
import {
  accountInventory,
  echoDeployment,
  expectEnding,
  invocationCounts,
  lambdaFailures,
  runDeployment,
  runResources,
  uploadEchoFixtures,
  type FinishedExecution,
  type SageMakerInventory,
} from '../helpers/scenario';

/**
 * One fault per scenario, injected into the embedded AWS (fault rules, the echo container's AEP_FAULT, an unknown
 * image) while the real pipeline deploys the echo container. Each ends in its named terminal state, with its audit
 * record and deployment event, and exactly the resources it promises. Scenarios share one embedded AWS with
 * distinct endpoint names; fault rules are cleared after each.
 */

let t: TestAws;

beforeAll(async () => {
  t = await startTestAws({ healthCheckTimeoutSeconds: 4 });
  await uploadEchoFixtures(t);
}, 60_000);

afterEach(() => {
  t.aws.faults.clear();
});

afterAll(async () => {
  await t?.stop();
});

/** Every resource a scenario promised to leave, for the final orphan count. */
const promised: SageMakerInventory = { models: [], endpointConfigs: [], endpoints: [] };

/** What a successful first deployment of `endpointName` by `run` leaves: its model, its config, the endpoint. */
function deployedBy(endpointName: string, run: FinishedExecution): SageMakerInventory {
  const own = runResources(endpointName, run.executionArn);
  const left = { models: [own.model], endpointConfigs: [own.endpointConfig], endpoints: [endpointName] };
  for (const kind of ['models', 'endpointConfigs', 'endpoints'] as const) {
    for (const name of left[kind]) if (!promised[kind].includes(name)) promised[kind].push(name);
  }
  return left;
}

describe('the endpoint never comes up: EndpointCreationFailed, rolled back to nothing', () => {
  test('an image no local command plays: SageMaker fails the endpoint with a FailureReason naming the image', async () => {
    const run = await runDeployment(t, 'unknown-image', echoDeployment('f-unknown-image', { image: 'local/not-configured:1' }));
    await expectEnding(t, run, { endpointName: 'f-unknown-image', status: 'FAILED', error: 'EndpointCreationFailed', cause: /local\/not-configured:1/ });
  });

  test('the container exits at start: the FailureReason has its exit code', async () => {
    const run = await runDeployment(t, 'exit-at-start', echoDeployment('f-exit-at-start', { fault: 'exit-at-start' }));
    await expectEnding(t, run, { endpointName: 'f-exit-at-start', status: 'FAILED', error: 'EndpointCreationFailed', cause: /exit(ed)?.*\b3\b|code 3/i });
  });

  test('/ping never answers 200: the health check times out', async () => {
    const run = await runDeployment(t, 'never-healthy', echoDeployment('f-never-healthy', { fault: 'never-healthy' }));
    await expectEnding(t, run, { endpointName: 'f-never-healthy', status: 'FAILED', error: 'EndpointCreationFailed', cause: /ping|health/i });
  }, 60_000);
});

describe('the endpoint comes up but the smoke invocation fails: rolled back', () => {
  test('/invocations answers 500 on an update: SmokeInvocationFailed, the previous config serving and answering', async () => {
    const first = await runDeployment(t, 'http-500-v1', echoDeployment('f-http-500'));
    await expectEnding(t, first, { endpointName: 'f-http-500', status: 'SUCCEEDED', left: deployedBy('f-http-500', first), serving: runResources('f-http-500', first.executionArn).endpointConfig });

    const run = await runDeployment(t, 'http-500-v2', echoDeployment('f-http-500', { fault: 'http-500' }));
    await expectEnding(t, run, {
      endpointName: 'f-http-500',
      status: 'FAILED',
      error: 'SmokeInvocationFailed',
      cause: /\b500\b/,
      left: deployedBy('f-http-500', first),
      serving: runResources('f-http-500', first.executionArn).endpointConfig,
    });
  }, 60_000);

  test('an invocation runs past invocationTimeoutSeconds: SmokeInvocationFailed from the failure object', async () => {
    const run = await runDeployment(t, 'invocation-timeout', echoDeployment('f-invocation-timeout', { fault: 'slow:4000', invocationTimeoutSeconds: 1 }));
    await expectEnding(t, run, { endpointName: 'f-invocation-timeout', status: 'FAILED', error: 'SmokeInvocationFailed', cause: /InvocationTimeoutSeconds|did not respond/ });
  });

  test('the output arrives after timeouts.outputSeconds: OutputTimeout', async () => {
    const run = await runDeployment(t, 'output-timeout', echoDeployment('f-output-timeout', { fault: 'slow:5000', outputTimeoutSeconds: 2 }));
    await expectEnding(t, run, { endpointName: 'f-output-timeout', status: 'FAILED', error: 'OutputTimeout', cause: /timeouts\.outputSeconds = 2/ });
  });

  test('the async output write to S3 fails: SmokeInvocationFailed, the failure object says why', async () => {
    t.aws.faults.add({
      service: 's3',
      operation: 'PutObject',
      // The output object only (execution output-write, case echo): the failure object that says why goes to the same folder.
      resource: `aep-artifacts/async-outputs/f-output-write/${inferenceId('output-write', 'echo')}.out`,
      error: { code: 'InternalError', message: 'We encountered an internal error. Please try again.', status: 500 },
    });
    const run = await runDeployment(t, 'output-write', echoDeployment('f-output-write'));
    await expectEnding(t, run, { endpointName: 'f-output-write', status: 'FAILED', error: 'SmokeInvocationFailed', cause: /upload the output/ });
  });
});

describe('transient faults are retried: the deployment succeeds with exactly one of each resource', () => {
  test('ThrottlingException on 30% of SageMaker and S3 calls (and a burst beyond the SDK retries): SUCCEEDED', async () => {
    // First match wins: the burst throttles every SDK attempt of the first CreateEndpointConfig call, so the step
    // itself fails with TransientError and the state machine's Retry is what saves it; the 30% rules are absorbed
    // by the SDK's own retries.
    const burst = t.aws.faults.add({ service: 'sagemaker', operation: 'CreateEndpointConfig', count: 3, error: { code: 'ThrottlingException', message: 'Rate exceeded', status: 400 } });
    const sagemaker = t.aws.faults.add({ service: 'sagemaker', rate: 0.3, error: { code: 'ThrottlingException', message: 'Rate exceeded', status: 400 } });
    const s3 = t.aws.faults.add({ service: 's3', rate: 0.3, error: { code: 'SlowDown', message: 'Please reduce your request rate.', status: 503 } });
    const run = await runDeployment(t, 'throttled', echoDeployment('f-throttled'));
    const fired = Object.fromEntries(t.aws.faults.list().map((rule) => [rule.id, rule.fired]));
    const seen = Object.fromEntries(t.aws.faults.list().map((rule) => [rule.id, rule.seen]));
    t.aws.faults.clear();

    const own = runResources('f-throttled', run.executionArn);
    await expectEnding(t, run, { endpointName: 'f-throttled', status: 'SUCCEEDED', left: deployedBy('f-throttled', run), serving: own.endpointConfig });
    // The history shows the step-level retry; the rules' counters show how many calls were throttled in all.
    expect(lambdaFailures(run.history)).toEqual([{ state: 'CreateEndpointConfig', error: 'TransientError' }]);
    expect(fired[burst]).toBe(3);
    expect(fired[sagemaker]).toBe(Math.floor(seen[sagemaker] * 0.3));
    expect(fired[s3]).toBe(Math.floor(seen[s3] * 0.3));
    expect(fired[sagemaker] + fired[s3]).toBeGreaterThanOrEqual(5);
  }, 60_000);

  test('a step’s handler throws a transient error once before running: retried, SUCCEEDED', async () => {
    t.aws.faults.add({ service: 'lambda', operation: 'DeployEndpoint', count: 1, error: { code: 'TransientError', message: 'injected', status: 500 } });
    const run = await runDeployment(t, 'transient-once', echoDeployment('f-transient-once'));
    const own = runResources('f-transient-once', run.executionArn);
    await expectEnding(t, run, { endpointName: 'f-transient-once', status: 'SUCCEEDED', left: deployedBy('f-transient-once', run), serving: own.endpointConfig });
    expect(lambdaFailures(run.history)).toEqual([{ state: 'DeployEndpoint', error: 'TransientError' }]);
    expect(invocationCounts(run.history).DeployEndpoint).toBe(2);
  });

  test('steps that fail after creating their resource are retried and create no duplicate', async () => {
    for (const operation of ['CreateModel', 'CreateEndpointConfig', 'DeployEndpoint']) {
      t.aws.faults.add({ service: 'lambda', operation, phase: 'after', count: 1, error: { code: 'TransientError', message: 'lost after the work', status: 500 } });
    }
    const run = await runDeployment(t, 'transient-after', echoDeployment('f-transient-after'));
    const own = runResources('f-transient-after', run.executionArn);
    await expectEnding(t, run, { endpointName: 'f-transient-after', status: 'SUCCEEDED', left: deployedBy('f-transient-after', run), serving: own.endpointConfig });
    expect(lambdaFailures(run.history)).toEqual([
      { state: 'CreateModel', error: 'TransientError' },
      { state: 'CreateEndpointConfig', error: 'TransientError' },
      { state: 'DeployEndpoint', error: 'TransientError' },
    ]);
    // The second attempts found their own resources instead of creating new ones.
    const outputs = run.history
      .filter((e) => e.type === 'LambdaFunctionSucceeded')
      .map((e) => JSON.parse(e.lambdaFunctionSucceededEventDetails!.output!) as { createdNow?: boolean; action?: string });
    expect(outputs.filter((o) => o.createdNow !== undefined).map((o) => o.createdNow)).toEqual([false, false]);
  });
});

test('no orphans: the account holds exactly the resources the scenarios promised to leave, nothing else', async () => {
  const sorted = (i: SageMakerInventory) => ({ models: [...i.models].sort(), endpointConfigs: [...i.endpointConfigs].sort(), endpoints: [...i.endpoints].sort() });
  expect(await accountInventory(t.clients.sagemaker)).toEqual(sorted(promised));
  // The four successful deployments; the six failed first deployments left nothing.
  expect(promised.endpoints).toHaveLength(4);
});
