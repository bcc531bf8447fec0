import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import {
  echoDeployment,
  ECHO_FIXTURES,
  expectEnding,
  finishExecution,
  readAuditRecord,
  runResources,
  sharedEchoAws,
  stateWindow,
  statesEntered,
  type FinishedExecution,
} from '../helpers/scenario';

/**
 * Two uploads for the same endpoint at the same moment: the S3 trigger starts two executions, the lock makes the
 * second wait, and both deploy — one after the other, never interleaved, none lost.
 */

const ENDPOINT = 'lock-race';
const testAws = sharedEchoAws();

test('two model.tar.gz uploads at once: both SUCCEEDED, strictly one after the other', async () => {
  const t = testAws();
  const settings = echoDeployment(ENDPOINT);
  delete settings.modelDataUrl;
  delete settings.endpointName; // derived from models/lock-race/…, as for any upload
  const artifact = await t.clients.s3.send(new GetObjectCommand({ Bucket: 'aep-models', Key: ECHO_FIXTURES.artifact.replace('s3://aep-models/', '') }));
  const bytes = Buffer.from(await artifact.Body!.transformToByteArray());
  for (const version of ['a', 'b']) {
    await t.clients.s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: `models/${ENDPOINT}/${version}/deploy.json`, Body: JSON.stringify(settings) }));
  }
  const keys = [`models/${ENDPOINT}/a/model.tar.gz`, `models/${ENDPOINT}/b/model.tar.gz`];
  await Promise.all(keys.map((Key) => t.clients.s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key, Body: bytes }))));

  // One execution per upload, each with exactly the rule's input.
  const { executions } = await t.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: t.aws.names.stateMachineArn }));
  const started = keys.map((key) => executions!.filter((e) => e.name!.startsWith(`${ENDPOINT}-${key.split('/')[2]}-`)));
  expect(started.map((s) => s.length)).toEqual([1, 1]);
  const runs = await Promise.all(started.map(([e]) => finishExecution(t, e.executionArn!)));
  // Order them by who held the lock first.
  const [first, second] = [...runs].sort((x, y) => window(x).enteredAt - window(y).enteredAt);

  // Never interleaved: the second created nothing before the first had finalized (and released the lock).
  expect(window(second).enteredAt).toBeGreaterThanOrEqual(stateWindow(first.history, 'Finalize')!.exitedAt);
  expect(statesEntered(second.history)).toContain('WaitForLock');
  // The audit records agree: the first was recorded before the second's CreateModel started.
  const firstAudit = await readAuditRecord(t, ENDPOINT, first.name);
  expect(Date.parse(firstAudit.timestamps.recordedAt)).toBeLessThanOrEqual(window(second).enteredAt);

  // Both deployed (none lost); the endpoint ends on the second's config and answers.
  const left = {
    models: [runResources(ENDPOINT, first.executionArn).model, runResources(ENDPOINT, second.executionArn).model].sort(),
    endpointConfigs: [runResources(ENDPOINT, first.executionArn).endpointConfig, runResources(ENDPOINT, second.executionArn).endpointConfig].sort(),
    endpoints: [ENDPOINT],
  };
  await expectEnding(t, first, { endpointName: ENDPOINT, status: 'SUCCEEDED', left });
  await expectEnding(t, second, { endpointName: ENDPOINT, status: 'SUCCEEDED', left, serving: runResources(ENDPOINT, second.executionArn).endpointConfig });
  expect([JSON.parse(first.described.output!).action, JSON.parse(second.described.output!).action]).toEqual(['create', 'update']);

  // The lock is gone once both are done.
  const locks = await t.clients.s3.send(new ListObjectsV2Command({ Bucket: t.aws.names.artifactsBucket, Prefix: 'locks/' }));
  expect(locks.KeyCount).toBe(0);
}, 90_000);

/** From entering CreateModel to leaving Finalize: the part of a run that must hold the lock. */
function window(run: FinishedExecution): { enteredAt: number } {
  const created = stateWindow(run.history, 'CreateModel');
  if (!created) throw new Error(`${run.name} never reached CreateModel: ${statesEntered(run.history).join(' → ')}`);
  return created;
}
