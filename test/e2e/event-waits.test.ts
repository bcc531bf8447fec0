import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { handler as awaitEvent } from '../../functions/await-event/handler';
import { SWEEP_MIN_AGE_SECONDS, sweepExpiredWaits } from '../../functions/await-event/sweep';
import { deleteWait, putWait, readWait } from '../../functions/await-event/wait-store';
import { endpointStateChangeEvent } from '../../local/sagemaker/state-change-event';
import { startTestAws, type TestAws } from '../helpers/embedded';
import { echoDeployment, outcome, runDeployment, uploadEchoFixtures, type FinishedExecution } from '../helpers/scenario';

/**
 * Event-driven waits on the embedded AWS: SageMaker's endpoint state-change events (EventBridge) and the async
 * success/error notifications (SNS → Lambda) resume WaitForEndpoint and WaitForOutput through AwaitEvent. The
 * re-check interval is made long (poll × wait scale = 36 s) where a run must finish by events alone, and short
 * where the fallback has to do the work.
 */

let t: TestAws;

beforeAll(async () => {
  t = await startTestAws();
  await uploadEchoFixtures(t);
}, 60_000);

afterEach(() => t.aws.faults.clear());
afterAll(async () => {
  await t?.stop();
});

const SUCCEEDED = { status: 'SUCCEEDED', error: undefined, cause: undefined };
const slowPolls = { endpointSeconds: 3600, outputSeconds: 3600, lockSeconds: 5 };
const entered = (run: FinishedExecution, state: string) => run.history.filter((e) => e.stateEnteredEventDetails?.name === state).length;
const ofType = (history: HistoryEvent[], type: string) => history.filter((e) => e.type === type);
/** The task tokens the run's callback Tasks were given, from their TaskScheduled parameters. */
const tokensOf = (run: FinishedExecution) =>
  ofType(run.history, 'TaskScheduled').map((e) => (JSON.parse(e.taskScheduledEventDetails!.parameters!) as { Payload: { taskToken: string } }).Payload.taskToken);

async function putRecord(key: string, record: Record<string, unknown>): Promise<void> {
  await t.clients.s3.send(new PutObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: key, Body: JSON.stringify(record) }));
}

async function waitRecords(): Promise<string[]> {
  const listed = await t.clients.s3.send(new ListObjectsV2Command({ Bucket: t.aws.names.artifactsBucket, Prefix: 'waits/' }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

test('events resume both waits: no re-check (DescribeEndpoint, CheckOutput) in the history', async () => {
  const run = await runDeployment(t, 'by-events', { ...echoDeployment('ev-events'), poll: slowPolls });
  expect(outcome(run)).toEqual(SUCCEEDED);
  expect(entered(run, 'WaitForEndpoint')).toBe(1);
  expect(entered(run, 'WaitForOutput')).toBe(1);
  expect(entered(run, 'DescribeEndpoint')).toBe(0);
  expect(entered(run, 'CheckOutput')).toBe(0);
  expect(ofType(run.history, 'TaskSucceeded')).toHaveLength(2);
  expect(ofType(run.history, 'TaskTimedOut')).toHaveLength(0);
  expect(await waitRecords()).toEqual([]);
}, 60_000);

test('events suppressed (EventBridge and SNS deliveries dropped): the re-checks finish the run, slower', async () => {
  t.aws.faults.add({ service: 'events', operation: 'InvokeTarget', error: { code: 'Dropped', message: 'test drops events', status: 500 } });
  t.aws.faults.add({ service: 'sns', operation: 'Deliver', error: { code: 'Dropped', message: 'test drops notifications', status: 500 } });
  // The container answers only after 300 ms, so WaitForOutput's own first check finds nothing yet.
  const run = await runDeployment(t, 'no-events', { ...echoDeployment('ev-no-events', { fault: 'slow:300' }), poll: { endpointSeconds: 10, outputSeconds: 10, lockSeconds: 5 } });
  expect(outcome(run)).toEqual(SUCCEEDED);
  expect(entered(run, 'DescribeEndpoint')).toBeGreaterThanOrEqual(1);
  expect(entered(run, 'CheckOutput')).toBeGreaterThanOrEqual(1);
  expect(ofType(run.history, 'TaskTimedOut').length).toBeGreaterThanOrEqual(2);
  // No event settled its waits: the record of a wait whose last Task timed out (the re-check resumed the run) is
  // still there, unless a later registration's sweep already removed it (its own 10 s were over)…
  const leftOver = await waitRecords();
  expect(leftOver.every((key) => key.startsWith('waits/outputs/') || key.startsWith('waits/endpoints/ev-no-events/'))).toBe(true);
  // Whether the last output wait's record is among them depends on timing: its registration's own check may find the
  // output just after the Task's 100 ms timed out and remove it as stale (settle.ts). So this test checks what is
  // always true — every record left is removed by the sweep, a live one stays; the next test proves a left record is swept.
  // …until a sweep after their Tasks' timeout (poll 10 s from registration; a sweep reads records a minute old)
  // removes them; a live wait's record stays.
  const live = 'waits/outputs/still-waiting.json';
  await putRecord(live, { taskToken: 'AQ-live', wait: 'output', state: { poll: { outputSeconds: 3600 } }, registeredAt: new Date().toISOString() });
  expect((await sweepExpiredWaits(new Date(Date.now() + (SWEEP_MIN_AGE_SECONDS + 1) * 1000))).sort()).toEqual([...leftOver].sort());
  expect(await waitRecords()).toEqual([live]);
  await t.clients.s3.send(new DeleteObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: live }));
}, 120_000);

test("a wait's registration sweeps the records of waits whose Task has timed out once a minute old, and reads no younger one", async () => {
  const expired = 'waits/endpoints/ev-gone/resumed-by-recheck.json';
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000).toISOString();
  await putRecord(expired, { taskToken: 'AQ-expired', wait: 'endpoint', state: { config: { poll: { endpointSeconds: 300 } } }, registeredAt: twoHoursAgo });
  const reads: string[] = [];
  const stopCounting = t.aws.onCall(({ operation, resource }) => {
    if (operation === 'GetObject' && resource?.includes('/waits/')) reads.push(resource);
  });
  const run = await runDeployment(t, 'sweeps', { ...echoDeployment('ev-sweeps'), poll: slowPolls }).finally(stopCounting);
  expect(outcome(run)).toEqual(SUCCEEDED);
  // Written seconds ago, it is too young for the registrations' sweeps to read (whatever its registeredAt says)…
  expect(reads).not.toContain(`${t.aws.names.artifactsBucket}/${expired}`);
  expect(await waitRecords()).toContain(expired);
  // …and a sweep a minute later removes it: its Task's 300 s were over long ago.
  expect(await sweepExpiredWaits(new Date(Date.now() + (SWEEP_MIN_AGE_SECONDS + 1) * 1000))).toEqual([expired]);
  expect(await waitRecords()).toEqual([]);
}, 60_000);

test('an event that comes before the token is recorded is not missed: AwaitEvent checks once after recording', async () => {
  // AwaitEvent's registration for WaitForEndpoint starts only after the endpoint is InService (its event found no token).
  t.aws.faults.add({ service: 'lambda', operation: 'WaitForEndpoint', delayMs: 4_000, count: 1 });
  const run = await runDeployment(t, 'early-event', { ...echoDeployment('ev-early'), poll: slowPolls });
  expect(outcome(run)).toEqual(SUCCEEDED);
  expect(entered(run, 'DescribeEndpoint')).toBe(0);
}, 60_000);

test('duplicate events change nothing: the wait is gone, the token used, the run and endpoint as they were', async () => {
  const run = await runDeployment(t, 'duplicates', { ...echoDeployment('ev-duplicates'), poll: slowPolls });
  expect(outcome(run)).toEqual(SUCCEEDED);
  const record = t.aws.services.sagemaker.endpoint('ev-duplicates')!;
  const event = { version: '0', id: 'dup', account: '000000000000', time: '', region: t.aws.region, ...endpointStateChangeEvent(record) };
  expect(await awaitEvent(event)).toEqual({ keys: [], settled: [] });
  t.aws.services.events.emit(endpointStateChangeEvent(record));
  // The notification SageMaker published for the smoke invocation, delivered a second time.
  const notification = t.aws.services.sns.messages(t.aws.names.asyncSuccessTopicArn).at(-1)!;
  const again = await awaitEvent({ Records: [{ Sns: { Message: notification.message } }] });
  expect(again).toMatchObject({ settled: ['gone'] });
  // Its token was used: AWS's answer to a second SendTaskSuccess.
  for (const token of tokensOf(run)) {
    await expect(t.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  }
  const described = await t.aws.services.stepFunctions.describeExecution(run.executionArn);
  expect(described.status).toBe('SUCCEEDED');
  expect(t.aws.services.sagemaker.endpoint('ev-duplicates')!.EndpointStatus).toBe('InService');
}, 60_000);

test('an expired token left in the store (its Task timed out) is dropped by the next event, without an error', async () => {
  const run = await runDeployment(t, 'stale', { ...echoDeployment('ev-stale'), poll: slowPolls });
  expect(outcome(run)).toEqual(SUCCEEDED);
  const [endpointToken] = tokensOf(run);
  const key = `waits/endpoints/ev-stale/stale.json`;
  const body = JSON.stringify({ taskToken: endpointToken, wait: 'endpoint', state: JSON.parse(run.history[0].executionStartedEventDetails!.input!), registeredAt: new Date().toISOString() });
  await t.clients.s3.send(new (await import('@aws-sdk/client-s3')).PutObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: key, Body: body }));
  const record = t.aws.services.sagemaker.endpoint('ev-stale')!;
  // The record's state is not a pipeline state, so the check itself fails: nothing is sent, and the error is reported.
  await expect(awaitEvent({ version: '0', ...endpointStateChangeEvent(record) })).rejects.toThrow();
  const stateOfRun = JSON.parse(ofType(run.history, 'TaskScheduled')[0].taskScheduledEventDetails!.parameters!).Payload.state;
  await t.clients.s3.send(
    new (await import('@aws-sdk/client-s3')).PutObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: key, Body: JSON.stringify({ ...JSON.parse(body), state: stateOfRun }) }),
  );
  expect(await awaitEvent({ version: '0', ...endpointStateChangeEvent(record) })).toEqual({ keys: [key], settled: ['succeeded'] });
  expect((await waitRecords()).filter((k) => k.startsWith('waits/endpoints/ev-stale/'))).toEqual([]);
  await expect(t.clients.s3.send(new GetObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: key }))).rejects.toMatchObject({ name: 'NoSuchKey' });
}, 60_000);

test('SendTaskSuccess/Failure/Heartbeat answer unknown, malformed and bad-output calls as AWS does', async () => {
  const wellFormed = `AQ${'A'.repeat(160)}`;
  await expect(t.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: wellFormed, output: '{}' }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  await expect(t.clients.sfn.send(new SendTaskFailureCommand({ taskToken: 'not-a-token', error: 'X' }))).rejects.toMatchObject({ name: 'InvalidToken' });
  await expect(t.clients.sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'not-a-token' }))).rejects.toMatchObject({ name: 'InvalidToken' });
  const token = t.aws.services.stepFunctions.tokens.mint();
  void t.aws.services.stepFunctions.tokens.await(token, 'arn:test').catch(() => undefined);
  await expect(t.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{not json' }))).rejects.toMatchObject({ name: 'InvalidOutput' });
  await t.clients.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
  await t.clients.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'Boom', cause: 'why' }));
  await expect(t.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
});

test('settling removes only the record it judged: a newer token recorded meanwhile (a retried Task) stays', async () => {
  const key = 'waits/outputs/retried.json';
  const record = (taskToken: string) => ({ taskToken, wait: 'output' as const, state: {}, registeredAt: new Date().toISOString() });
  const first = await putWait(key, record('AQ-first'));
  const second = await putWait(key, record('AQ-second'));
  expect(await deleteWait(key, first.etag)).toBe(false);
  expect((await readWait(key))?.record.taskToken).toBe('AQ-second');
  expect(await deleteWait(key, second.etag)).toBe(true);
  expect(await readWait(key)).toBeUndefined();
  // Gone already (an event and the registration's own check both settled it): nothing to do, no error.
  expect(await deleteWait(key, second.etag)).toBe(false);
});
