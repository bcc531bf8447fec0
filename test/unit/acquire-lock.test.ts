import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { acquireEndpointLock } from '../../functions/acquire-lock/acquire-lock';
import { handler } from '../../functions/acquire-lock/handler';
import { readEnvironment } from '../../functions/lib/environment';
import type { LockState } from '../../functions/lib/pipeline-state';
import { awsError, EXECUTION, OTHER_EXECUTION_ARN, pipelineState, s3Body, setTestEnvironment } from './fixtures';

const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);
const t0 = new Date('2025-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

function heldBy(holder: string, status: 'RUNNING' | 'SUCCEEDED') {
  s3Mock.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412));
  s3Mock.on(GetObjectCommand).callsFake(() => ({
    Body: s3Body(JSON.stringify({ holder, acquiredAt: t0.toISOString(), endpointName: 'recommender' })),
    ETag: '"e1"',
  }));
  sfnMock.on(DescribeExecutionCommand).resolves({ status });
}

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  sfnMock.reset();
});

it('acquires a free lock in the artifacts bucket', async () => {
  s3Mock.on(PutObjectCommand).resolves({});
  await expect(handler(pipelineState())).resolves.toMatchObject({ acquired: true, key: 'locks/recommender.json', attempts: 1 });
  expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'aep-artifacts', Key: 'locks/recommender.json', IfNoneMatch: '*' });
});

it('is acquired on a re-run when this execution already holds it', async () => {
  heldBy(EXECUTION.id, 'RUNNING');
  await expect(handler(pipelineState())).resolves.toMatchObject({ acquired: true });
});

it('waits while another running execution holds it, keeping firstAttemptAt across the loop', async () => {
  heldBy(OTHER_EXECUTION_ARN, 'RUNNING');
  const env = readEnvironment();
  const first = await acquireEndpointLock(pipelineState(), env, t0);
  expect(first).toEqual({
    acquired: false,
    key: 'locks/recommender.json',
    holder: OTHER_EXECUTION_ARN,
    firstAttemptAt: t0.toISOString(),
    attempts: 1,
    nextPollSeconds: 30,
  });
  const second = await acquireEndpointLock(pipelineState({ lock: first }), env, at(30));
  expect(second).toMatchObject({ acquired: false, firstAttemptAt: t0.toISOString(), attempts: 2 });
});

it('takes over a lock left by a finished execution', async () => {
  heldBy(OTHER_EXECUTION_ARN, 'SUCCEEDED');
  s3Mock.on(PutObjectCommand, { IfMatch: '"e1"' }).resolves({});
  await expect(handler(pipelineState())).resolves.toMatchObject({ acquired: true });
});

it('fails with DeploymentInProgress naming the holder after timeouts.lockSeconds', async () => {
  heldBy(OTHER_EXECUTION_ARN, 'RUNNING');
  const lock: LockState = { acquired: false, key: 'locks/recommender.json', firstAttemptAt: t0.toISOString(), attempts: 120, nextPollSeconds: 30 };
  await expect(acquireEndpointLock(pipelineState({ lock }), readEnvironment(), at(3600))).rejects.toMatchObject({
    name: 'DeploymentInProgress',
    message: expect.stringContaining(`being deployed by execution ${OTHER_EXECUTION_ARN}; this run waited 3600 s`),
  });
});
