import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingActivitiesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { startTestAws, type TestAws } from '../helpers/embedded';
import {
  echoDeployment,
  eventually,
  expectEnding,
  finishExecution,
  inventory,
  readAuditRecord,
  runDeployment,
  runResources,
  sampleUntilStopped,
  startDeployment,
  statesEntered,
  uploadEchoFixtures,
} from '../helpers/scenario';

/**
 * Releases to an endpoint autoscaling has scaled to zero, on the embedded AWS: each is tested without waiting for a
 * scale-out from zero (no scaling activity to 1 instance happens) and leaves the endpoint at 0 instances with its
 * scaling registration as it was. Candidate: the gate runs on the candidate, promotion keeps 0, the verification is
 * skipped and says why. In-place: the update brings an instance up for the smoke tests (scale-in suspended
 * meanwhile), and the endpoint goes back to 0 afterwards, passed or failed.
 * Wait scale 0.01: the 15-minute scale-in alarm is 9 s.
 */

const ENDPOINT = 'zero-release';
const RESOURCE_ID = `endpoint/${ENDPOINT}/variant/AllTraffic`;
let t: TestAws;
let scaling: ApplicationAutoScalingClient;

beforeAll(async () => {
  t = await startTestAws({ waitScale: 0.01 });
  await uploadEchoFixtures(t);
  scaling = new ApplicationAutoScalingClient({ endpoint: t.aws.url, region: t.aws.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}, 60_000);

afterAll(async () => {
  scaling?.destroy();
  await t?.stop();
});

const variant = async () => (await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).ProductionVariants![0];
const registration = async () =>
  (await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [RESOURCE_ID] }))).ScalableTargets ?? [];
/** Application Auto Scaling's activities since `since`, newest first. */
const activitiesSince = async (since: Date) =>
  ((await scaling.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'sagemaker', ResourceId: RESOURCE_ID }))).ScalingActivities ?? []).filter(
    (a) => a.StartTime!.getTime() >= since.getTime(),
  );

/** Production's wanted instance count and its scale-in suspension, sampled while a run goes on. */
function watchCapacity() {
  const desired: number[] = [];
  const sampling = sampleUntilStopped(async () => {
    desired.push((await variant()).DesiredInstanceCount!);
  }, 50);
  return {
    async stop() {
      await sampling.stop();
      return { desired };
    },
  };
}

async function atZero() {
  await eventually(async () => expect(await variant()).toMatchObject({ DesiredInstanceCount: 0, CurrentInstanceCount: 0 }), 120_000, 200);
  expect(t.aws.services.sagemaker.hosting.instances(ENDPOINT)).toHaveLength(0);
}

/** The registration v1's Finalize made, unchanged by every release (none of them asks for autoscaling). */
async function expectRegistrationAsItWas() {
  expect(await registration()).toEqual([
    expect.objectContaining({
      MinCapacity: 0,
      MaxCapacity: 2,
      SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
    }),
  ]);
}

const release = (extra: Record<string, unknown> = {}) => ({ ...echoDeployment(ENDPOINT), ...extra });
const kept = { models: [] as string[], endpointConfigs: [] as string[] };

test('an autoscaled endpoint (minCapacity 0) idles to 0 instances', async () => {
  const run = await runDeployment(t, 'zero-v1', release({ autoscaling: { minCapacity: 0, maxCapacity: 2, targetBacklogPerInstance: 5, scaleInCooldownSeconds: 60, scaleOutCooldownSeconds: 60 } }));
  expect(run.described.status).toBe('SUCCEEDED');
  kept.models.push(runResources(ENDPOINT, run.executionArn).model);
  kept.endpointConfigs.push(runResources(ENDPOINT, run.executionArn).endpointConfig);
  await atZero();
  await expectRegistrationAsItWas();
}, 240_000);

test('candidate at 0: the gate runs on the candidate, promotion keeps 0, the verification is skipped saying why; no scale-out from zero', async () => {
  const startedAt = new Date();
  const watch = watchCapacity();
  const run = await finishExecution(t, await startDeployment(t, 'zero-candidate', release()));
  const seen = await watch.stop();
  const own = runResources(ENDPOINT, run.executionArn);
  kept.models.push(own.model);
  kept.endpointConfigs.push(own.endpointConfig);

  await eventually(async () => expect((await inventory(t.clients.sagemaker, ENDPOINT)).endpoints).toEqual([ENDPOINT]));
  await expectEnding(t, run, {
    endpointName: ENDPOINT,
    status: 'SUCCEEDED',
    left: { models: [...kept.models].sort(), endpointConfigs: [...kept.endpointConfigs].sort(), endpoints: [ENDPOINT] },
  });
  expect((await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointConfigName).toBe(own.endpointConfig);
  // production never had an instance: sampled throughout, and none running now
  expect(seen.desired.length).toBeGreaterThan(3);
  expect(new Set(seen.desired)).toEqual(new Set([0]));
  await atZero();
  expect((await activitiesSince(startedAt)).map((a) => a.Description)).not.toContain('Setting desired instance count to 1.');
  await expectRegistrationAsItWas();

  // the smoke tests ran once, on the candidate; not against production at 0
  expect(statesEntered(run.history).filter((s) => s === 'SmokeTests')).toHaveLength(1);
  const audit = await readAuditRecord(t, ENDPOINT, run.name);
  expect(audit.smoke?.cases.map((c) => [c.endpointName, c.phase, c.passed])).toEqual([[own.endpointConfig, 'gate', true]]);
  expect(audit.release).toMatchObject({
    strategy: 'candidate',
    candidateEndpointName: own.endpointConfig,
    promotion: { candidateDeleted: true },
    scaledToZero: { how: expect.stringMatching(/^candidate at 0 instances/), scaleInSuspended: false },
    verifySkipped: { reason: expect.stringMatching(new RegExp(`production ${ENDPOINT} has 0 instances .*candidate ${own.endpointConfig} with the same endpoint config ${own.endpointConfig}`)) },
  });
  expect(audit.release?.verify).toBeUndefined();
}, 240_000);

test('in-place at 0: an instance only for the smoke tests (scale-in suspended meanwhile), back to 0 afterwards; no scale-out from zero', async () => {
  const startedAt = new Date();
  const watch = watchCapacity();
  const run = await finishExecution(t, await startDeployment(t, 'zero-in-place', release({ release: { strategy: 'in-place' } })));
  const seen = await watch.stop();
  const own = runResources(ENDPOINT, run.executionArn);
  kept.models.push(own.model);
  kept.endpointConfigs.push(own.endpointConfig);

  await expectEnding(t, run, {
    endpointName: ENDPOINT,
    status: 'SUCCEEDED',
    left: { models: [...kept.models].sort(), endpointConfigs: [...kept.endpointConfigs].sort(), endpoints: [ENDPOINT] },
  });
  expect((await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointConfigName).toBe(own.endpointConfig);
  // Never more than the config's 1 instance. That the update brought it for the tests is shown by the gate passing on
  // production with no scale-out from zero (below) and by Finalize's actions; sampling alone can miss a window that
  // is shorter than its interval now that the waits follow events.
  expect(Math.max(...seen.desired)).toBeLessThanOrEqual(1);
  await atZero();
  expect((await activitiesSince(startedAt)).map((a) => a.Description)).not.toContain('Setting desired instance count to 1.');
  await expectRegistrationAsItWas();

  const result = JSON.parse(run.described.output!);
  expect(result).toMatchObject({
    strategy: 'in-place',
    scaledToZero: { actions: [`scaled endpoint ${ENDPOINT} back to 0 instances`, `resumed dynamic scale-in of ${RESOURCE_ID}`] },
  });
  const audit = await readAuditRecord(t, ENDPOINT, run.name);
  expect(audit.smoke?.cases.map((c) => [c.endpointName, c.phase, c.passed])).toEqual([[ENDPOINT, 'gate', true]]);
  expect(audit.release).toMatchObject({ strategy: 'in-place', scaledToZero: { how: expect.stringMatching(/^in-place at 0 instances/), scaleInSuspended: true } });
}, 240_000);

test('in-place at 0, a model that fails its smoke test: rolled back, and still back to 0 with scale-in resumed', async () => {
  const previous = (await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointConfigName!;
  const run = await runDeployment(t, 'zero-in-place-broken', { ...echoDeployment(ENDPOINT, { fault: 'http-500' }), release: { strategy: 'in-place' } });
  await eventually(async () => expect((await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointStatus).toBe('InService'));
  await expectEnding(t, run, {
    endpointName: ENDPOINT,
    status: 'FAILED',
    error: 'SmokeInvocationFailed',
    left: { models: [...kept.models].sort(), endpointConfigs: [...kept.endpointConfigs].sort(), endpoints: [ENDPOINT] },
  });
  expect((await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointConfigName).toBe(previous);
  await atZero();
  await expectRegistrationAsItWas();
  const audit = await readAuditRecord(t, ENDPOINT, run.name);
  expect(audit.rollback?.actions).toEqual(
    expect.arrayContaining([`scaled endpoint ${ENDPOINT} back to 0 instances`, `restored endpoint ${ENDPOINT} to config ${previous}`, `resumed dynamic scale-in of ${RESOURCE_ID}`]),
  );
}, 240_000);
