import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListTagsCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { REPO_ROOT, startTestAws, type TestAws } from '../helpers/embedded';
import {
  echoDeployment,
  ECHO_FIXTURES,
  eventually,
  expectEnding,
  finishExecution,
  inventory,
  readAuditRecord,
  deploymentEvents,
  runDeployment,
  runResources,
  sampleUntilStopped,
  startDeployment,
  statesEntered,
  uploadEchoFixtures,
} from '../helpers/scenario';

/**
 * Safe releases on the embedded AWS: an endpoint that already serves is protected by the candidate strategy (the gate
 * runs on a temporary endpoint; production changes only after every case passed), ownership is checked before
 * anything is created, and the capacity an endpoint runs at is kept through a release.
 */

const BUILD = join(REPO_ROOT, 'examples', 'recommender', 'build');
const ENDPOINT = 'recommender';
const SNEAKERS = 's3://aep-models/examples/recommender/payloads/sneakers-top5.json';
/** A real-time request the recommender answers (expectEnding checks the serving endpoint answers it). */
const SNEAKERS_BODY = () => readFileSync(join(BUILD, 'payloads', 'sneakers-top5.json'), 'utf8');

let t: TestAws;

beforeAll(async () => {
  if (!existsSync(join(BUILD, 'manifest.json'))) {
    execFileSync(process.execPath, [join(REPO_ROOT, 'examples', 'recommender', 'build.mjs')], { stdio: 'ignore' });
  }
  t = await startTestAws();
  const manifest = JSON.parse(readFileSync(join(BUILD, 'manifest.json'), 'utf8')) as { files: { file: string; uri: string }[] };
  for (const { file, uri } of manifest.files) {
    await t.clients.s3.send(new PutObjectCommand({ Bucket: t.aws.names.modelsBucket, Key: uri.replace(/^s3:\/\/[^/]+\//, ''), Body: readFileSync(join(BUILD, file)) }));
  }
  await uploadEchoFixtures(t);
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

const recommender = (version: string, extra: Record<string, unknown> = {}) => ({
  modelDataUrl: `s3://aep-models/examples/recommender/${version}/model.tar.gz`,
  endpointName: ENDPOINT,
  poll: { endpointSeconds: 5, outputSeconds: 5, lockSeconds: 5 },
  ...extra,
});

/** The model version production serves now (the example sets MODEL_VERSION per version). */
async function servedVersion(endpointName: string): Promise<{ configName: string; version?: string }> {
  const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  const config = await t.clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const model = await t.clients.sagemaker.send(new DescribeModelCommand({ ModelName: config.ProductionVariants![0].ModelName }));
  return { configName: endpoint.EndpointConfigName!, version: model.PrimaryContainer?.Environment?.MODEL_VERSION };
}

async function readOutput(uri: string): Promise<string> {
  const [, Bucket, Key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
  const object = await t.clients.s3.send(new GetObjectCommand({ Bucket, Key }));
  return object.Body!.transformToString();
}

/**
 * Production watched from outside while a run goes on, as its users see it: its EndpointConfigName sampled, and an
 * asynchronous request sent to it on every sample (their outputs are read once the run is over).
 */
function watchProduction(endpointName: string) {
  const configs: string[] = [];
  const outputs: string[] = [];
  const sampling = sampleUntilStopped(async () => {
    const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    configs.push(endpoint.EndpointConfigName!);
    const queued = await t.clients.sagemakerRuntime.send(
      new InvokeEndpointAsyncCommand({ EndpointName: endpointName, InputLocation: SNEAKERS, ContentType: 'application/json' }),
    );
    outputs.push(queued.OutputLocation!);
  }, 100);
  return {
    async stop() {
      await sampling.stop();
      return { configs, outputs };
    },
  };
}

let v1: { configName: string; answer: string };

test('v1 creates the endpoint (nothing to protect: strategy new)', async () => {
  const run = await runDeployment(t, 'release-v1', recommender('v1'));
  await expectEnding(t, run, {
    endpointName: ENDPOINT,
    status: 'SUCCEEDED',
    left: { models: [runResources(ENDPOINT, run.executionArn).model], endpointConfigs: [runResources(ENDPOINT, run.executionArn).endpointConfig], endpoints: [ENDPOINT] },
  });
  expect(JSON.parse(run.described.output!)).toMatchObject({ action: 'create', strategy: 'new' });
  expect(statesEntered(run.history)).not.toContain('PromoteEndpoint');
  const queued = await t.clients.sagemakerRuntime.send(
    new InvokeEndpointAsyncCommand({ EndpointName: ENDPOINT, InputLocation: SNEAKERS, ContentType: 'application/json' }),
  );
  v1 = { configName: (await servedVersion(ENDPOINT)).configName, answer: await eventually(() => readOutput(queued.OutputLocation!)) };
}, 300_000);

test('broken, default strategy: the gate fails on the candidate; production never changed and only v1 answered it', async () => {
  const before = await inventory(t.clients.sagemaker, ENDPOINT);
  const watch = watchProduction(ENDPOINT);
  const arn = await startDeployment(t, 'release-broken', recommender('broken'));
  const run = await finishExecution(t, arn);
  const seen = await watch.stop();

  await expectEnding(t, run, { endpointName: ENDPOINT, status: 'FAILED', error: 'BaselineMismatch', cause: /overlap/, left: before, serving: v1.configName, payload: SNEAKERS_BODY() });
  // production's config, sampled throughout the run, never changed
  expect(seen.configs.length).toBeGreaterThan(3);
  expect(new Set(seen.configs)).toEqual(new Set([v1.configName]));
  // every asynchronous request sent to production during the run was answered by v1
  const answers = await Promise.all(seen.outputs.map((uri) => eventually(() => readOutput(uri))));
  expect(new Set(answers)).toEqual(new Set([v1.answer]));

  // the gate ran on the candidate, which is gone with this run's config and model
  const candidate = runResources(ENDPOINT, run.executionArn).endpointConfig;
  expect(statesEntered(run.history)).not.toContain('PromoteEndpoint');
  const audit = await readAuditRecord(t, ENDPOINT, run.name);
  expect(audit.release).toMatchObject({
    strategy: 'candidate',
    candidateEndpointName: candidate,
    exposure: { productionServedBeforeVerdict: false },
  });
  expect(audit.release?.promotion).toBeUndefined();
  expect(audit.smoke?.cases.every((c) => c.endpointName === candidate && c.phase === 'gate')).toBe(true);
  expect(audit.rollback?.actions).toEqual(expect.arrayContaining([`deleted candidate endpoint ${candidate}`, `endpoint ${ENDPOINT} still serves its previous config ${v1.configName}`]));
  const [event] = await deploymentEvents(t, run.executionArn);
  expect(event.release).toMatchObject({ strategy: 'candidate', candidateEndpointName: candidate, exposure: { productionServedBeforeVerdict: false } });
}, 300_000);

/** EventBridge rules that match production's "SageMaker Endpoint State Change" events, one per status: their deliveries, in order, are the statuses SageMaker announced. */
function watchEndpointStatuses(endpointName: string, statuses: string[]): () => string[] {
  const rule = (status: string) => `status-probe-${endpointName}-${status}`;
  for (const status of statuses) {
    const pattern = { source: ['aws.sagemaker'], 'detail-type': ['SageMaker Endpoint State Change'], detail: { EndpointName: [endpointName], EndpointStatus: [status] } };
    t.aws.services.events.putRule(rule(status), JSON.stringify(pattern), [{ Id: 'probe', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:status-probe' }]);
  }
  const byRule = new Map(statuses.map((s) => [rule(s), s]));
  return () => t.aws.services.events.deliveries().flatMap((d) => (byRule.has(d.rule) ? [byRule.get(d.rule)!] : []));
}

test('canary promotion, an alarm goes to ALARM while the canary bakes: SageMaker rolls production back, EndpointUpdateFailed names the alarm', async () => {
  const alarm = `${ENDPOINT}-aep-invocation-failures`;
  const statuses = watchEndpointStatuses(ENDPOINT, ['UPDATING', 'ROLLING_BACK', 'IN_SERVICE']);
  const before = await inventory(t.clients.sagemaker, ENDPOINT);
  const queued = t.aws.services.sagemakerRuntime.stats(ENDPOINT);
  const routing = { type: 'CANARY', size: { type: 'CAPACITY_PERCENT', value: 50 }, waitIntervalSeconds: 1800, terminationWaitSeconds: 600 };
  const watch = watchProduction(ENDPOINT);
  const arn = await startDeployment(t, 'release-canary', recommender('v2', { release: { routing, createAlarms: true } }));
  const own = runResources(ENDPOINT, arn);
  // Production's new fleet, and only it (not the candidate, which runs the same config, nor the old fleet), fails every
  // request: a model that breaks under production traffic. The failures are real InvocationFailures metrics.
  t.aws.faults.add({ service: 'sagemaker-model', resource: `${ENDPOINT}/${own.endpointConfig}/`, error: { code: 'ModelError', message: 'injected: the new fleet fails', status: 500 } });
  let run: Awaited<ReturnType<typeof finishExecution>>;
  let seen: Awaited<ReturnType<ReturnType<typeof watchProduction>['stop']>>;
  try {
    run = await finishExecution(t, arn);
    seen = await watch.stop();
  } finally {
    t.aws.faults.clear();
  }

  await expectEnding(t, run, {
    endpointName: ENDPOINT,
    status: 'FAILED',
    error: 'EndpointUpdateFailed',
    cause: new RegExp(`SageMaker rolled endpoint ${ENDPOINT} back to its previous config ${v1.configName} .*CloudWatch alarm ${alarm} .*ALARM`),
    left: before,
    serving: v1.configName,
    payload: SNEAKERS_BODY(),
  });
  expect(await servedVersion(ENDPOINT)).toEqual({ configName: v1.configName, version: 'v1' });
  // SageMaker's status sequence, as its EventBridge events announced it
  expect(statuses()).toEqual(['UPDATING', 'ROLLING_BACK', 'IN_SERVICE']);
  const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
  expect(endpoint.FailureReason).toMatch(new RegExp(`CloudWatch alarm ${alarm} .*ALARM`));
  expect(endpoint.LastDeploymentConfig).toMatchObject({
    BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 1800 }, TerminationWaitInSeconds: 600 },
    AutoRollbackConfiguration: { Alarms: expect.arrayContaining([{ AlarmName: alarm }]) },
  });
  expect(endpoint.PendingDeploymentSummary).toBeUndefined();
  // the new fleet is gone; the old one (one instance) serves alone
  expect(t.aws.services.sagemaker.hosting.stagedInstances(ENDPOINT)).toEqual([]);
  expect(t.aws.services.sagemaker.hosting.instances(ENDPOINT).map((i) => i.endpointConfigName)).toEqual([v1.configName]);
  expect(new Set(seen.configs)).toEqual(new Set([v1.configName]));

  // The canary really took production requests: some failed on the new fleet; every one that succeeded was v1's.
  const settled = await eventually(async () => {
    const now = t.aws.services.sagemakerRuntime.stats(ENDPOINT);
    expect(now.queued + now.inFlight).toBe(0);
    return now;
  }, 60_000);
  const failed = settled.failed - queued.failed;
  expect(failed).toBeGreaterThan(0);
  expect(settled.done - queued.done + failed).toBe(seen.outputs.length);
  const answered = (await Promise.all(seen.outputs.map((uri) => readOutput(uri).catch(() => undefined)))).filter((a) => a !== undefined);
  expect(answered).toHaveLength(seen.outputs.length - failed);
  expect(new Set(answered)).toEqual(new Set([v1.answer]));

  const audit = await readAuditRecord(t, ENDPOINT, run.name);
  expect(audit.release).toMatchObject({
    strategy: 'candidate',
    alarmsWatched: [alarm, `${ENDPOINT}-aep-oldest-request-age`],
    autoRollback: { reason: expect.stringContaining(`CloudWatch alarm ${alarm}`) },
    promotion: { routing: 'CANARY 50 CAPACITY_PERCENT, wait 1800 s', deploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY' } } } },
  });
  expect(audit.release?.promotion?.endedAt).toBeUndefined();
  const events = await deploymentEvents(t, run.executionArn);
  expect(events.at(-1)).toMatchObject({ error: { Error: 'EndpointUpdateFailed' }, release: { alarmsWatched: [alarm, `${ENDPOINT}-aep-oldest-request-age`], autoRollback: true } });
}, 300_000);

test('v2, default strategy: tested on the candidate, promoted, verified on production; the candidate is gone', async () => {
  const run = await runDeployment(t, 'release-v2', recommender('v2'));
  const own = runResources(ENDPOINT, run.executionArn);
  await eventually(async () =>
    expect(await inventory(t.clients.sagemaker, ENDPOINT)).toEqual({
      models: expect.arrayContaining([own.model]),
      endpointConfigs: expect.arrayContaining([own.endpointConfig]),
      endpoints: [ENDPOINT],
    }),
  );
  await expectEnding(t, run, {
    endpointName: ENDPOINT,
    status: 'SUCCEEDED',
    left: await inventory(t.clients.sagemaker, ENDPOINT),
    serving: own.endpointConfig,
    payload: SNEAKERS_BODY(),
  });
  expect(await servedVersion(ENDPOINT)).toEqual({ configName: own.endpointConfig, version: 'v2' });

  const entered = statesEntered(run.history);
  // the wait loop and the smoke tests ran twice: on the candidate, then on production after the promotion
  expect(entered.filter((s) => s === 'SmokeTests')).toHaveLength(2);
  expect(entered.indexOf('PromoteEndpoint')).toBeGreaterThan(entered.indexOf('SmokeTests'));
  expect(entered.lastIndexOf('SmokeTests')).toBeGreaterThan(entered.indexOf('PromoteEndpoint'));

  const result = JSON.parse(run.described.output!);
  expect(result).toMatchObject({
    action: 'update',
    strategy: 'candidate',
    candidateEndpointName: own.endpointConfig,
    previousConfigName: v1.configName,
    promotion: { routing: 'ALL_AT_ONCE, wait 0 s', alarms: [] },
    exposure: { productionServedBeforeVerdict: false },
  });
  const audit = await readAuditRecord(t, ENDPOINT, run.name);
  expect(audit.smoke?.cases.map((c) => [c.endpointName, c.phase])).toEqual(audit.smoke!.cases.map(() => [own.endpointConfig, 'gate']));
  expect(audit.release?.verify?.cases.map((c) => [c.endpointName, c.phase])).toEqual(audit.smoke!.cases.map(() => [ENDPOINT, 'verify']));
  expect(audit.release?.promotion).toMatchObject({
    deploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' } } },
    candidateDeleted: true,
    endedAt: expect.any(String),
  });
}, 300_000);

describe('ownership', () => {
  /** An endpoint made by hand (another team's): no aep:pipeline tag, or someone else's. */
  async function foreignEndpoint(name: string, tags: { Key: string; Value: string }[]) {
    await t.clients.sagemaker.send(
      new CreateModelCommand({ ModelName: `${name}-model`, PrimaryContainer: { Image: 'local/echo:latest', ModelDataUrl: ECHO_FIXTURES.artifact }, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/other' }),
    );
    await t.clients.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${name}-config`,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `${name}-model`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
        AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://aep-artifacts/async-outputs/other/' } },
      }),
    );
    await t.clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: `${name}-config`, Tags: tags }));
    await eventually(async () => expect((await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }))).EndpointStatus).toBe('InService'));
  }

  test("another team's endpoint: EndpointNotOwned naming the tag it found, nothing created", async () => {
    await foreignEndpoint('team-b', [{ Key: 'aep:pipeline', Value: 'team-b-pipeline' }]);
    const run = await runDeployment(t, 'not-owned', echoDeployment('team-b'));
    // only the endpoint itself: no model, config or candidate of this run (their names derive from "team-b")
    await expectEnding(t, run, {
      endpointName: 'team-b',
      status: 'FAILED',
      error: 'EndpointNotOwned',
      cause: /aep:pipeline tag is "team-b-pipeline"/,
      left: { models: [], endpointConfigs: [], endpoints: ['team-b'] },
    });
    expect(statesEntered(run.history)).toEqual(['ValidateInput', 'InputRejected', 'RecordFailure', 'Fail']);
    expect((await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'team-b' }))).EndpointConfigName).toBe('team-b-config');
  });

  test('an untagged endpoint with "adopt": true: tagged, deployed, and the audit record says adopted', async () => {
    await foreignEndpoint('hand-made', []);
    const run = await runDeployment(t, 'adopt', { ...echoDeployment('hand-made'), adopt: true });
    const own = runResources('hand-made', run.executionArn);
    await eventually(async () => expect((await inventory(t.clients.sagemaker, 'hand-made')).endpoints).toEqual(['hand-made']));
    await expectEnding(t, run, {
      endpointName: 'hand-made',
      status: 'SUCCEEDED',
      left: { models: [own.model], endpointConfigs: [own.endpointConfig], endpoints: ['hand-made'] },
      serving: own.endpointConfig,
    });
    const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'hand-made' }));
    const { Tags } = await t.clients.sagemaker.send(new ListTagsCommand({ ResourceArn: endpoint.EndpointArn }));
    expect(Tags).toEqual(expect.arrayContaining([{ Key: 'aep:pipeline', Value: t.aws.names.pipelineId }]));
    expect(JSON.parse(run.described.output!)).toMatchObject({ adopted: true, strategy: 'candidate' });
    expect((await readAuditRecord(t, 'hand-made', run.name)).release).toMatchObject({ adopted: true });
  });
});

describe('capacity kept', () => {
  /** Instances running for an endpoint right now (model processes), and what DescribeEndpoint says. */
  async function capacity(endpointName: string) {
    const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    const variant = endpoint.ProductionVariants![0];
    return { desired: variant.DesiredInstanceCount, current: variant.CurrentInstanceCount, processes: t.aws.services.sagemaker.hosting.instances(endpointName).length };
  }

  const atTwo = { models: [] as string[], endpointConfigs: [] as string[] };

  test('an endpoint running 2 instances', async () => {
    const run = await runDeployment(t, 'capacity-create', { ...echoDeployment('capacity'), instanceCount: 2 });
    await expectEnding(t, run, {
      endpointName: 'capacity',
      status: 'SUCCEEDED',
      left: { models: [runResources('capacity', run.executionArn).model], endpointConfigs: [runResources('capacity', run.executionArn).endpointConfig], endpoints: ['capacity'] },
    });
    expect(await capacity('capacity')).toEqual({ desired: 2, current: 2, processes: 2 });
    atTwo.models.push(runResources('capacity', run.executionArn).model);
    atTwo.endpointConfigs.push(runResources('capacity', run.executionArn).endpointConfig);
  });

  test('in-place, chosen explicitly: updated then tested, as before; still 2 instances', async () => {
    const run = await runDeployment(t, 'capacity-in-place', { ...echoDeployment('capacity'), instanceCount: 1, release: { strategy: 'in-place' } });
    const own = runResources('capacity', run.executionArn);
    await expectEnding(t, run, {
      endpointName: 'capacity',
      status: 'SUCCEEDED',
      left: { models: [...atTwo.models, own.model].sort(), endpointConfigs: [...atTwo.endpointConfigs, own.endpointConfig].sort(), endpoints: ['capacity'] },
      serving: own.endpointConfig,
    });
    expect(JSON.parse(run.described.output!)).toMatchObject({ strategy: 'in-place', exposure: { productionServedBeforeVerdict: true } });
    const entered = statesEntered(run.history);
    expect(entered).not.toContain('PromoteEndpoint');
    expect(entered.filter((s) => s === 'SmokeTests')).toHaveLength(1);
    expect(await capacity('capacity')).toEqual({ desired: 2, current: 2, processes: 2 });
    atTwo.models.push(own.model);
    atTwo.endpointConfigs.push(own.endpointConfig);
  });

  test('candidate (default): promoted, and still 2 instances', async () => {
    const run = await runDeployment(t, 'capacity-candidate', { ...echoDeployment('capacity'), instanceCount: 1 });
    const own = runResources('capacity', run.executionArn);
    await eventually(async () => expect((await inventory(t.clients.sagemaker, 'capacity')).endpoints).toEqual(['capacity']));
    await expectEnding(t, run, { endpointName: 'capacity', status: 'SUCCEEDED', left: await inventory(t.clients.sagemaker, 'capacity'), serving: own.endpointConfig });
    expect(JSON.parse(run.described.output!)).toMatchObject({ strategy: 'candidate' });
    expect(await capacity('capacity')).toEqual({ desired: 2, current: 2, processes: 2 });
  });
});
