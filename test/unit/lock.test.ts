import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { acquireLock, releaseLock } from '../../functions/lib/lock';
import { awsError, EXECUTION, OTHER_EXECUTION_ARN, s3Body, setTestEnvironment } from './fixtures';

const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);
const now = new Date('2025-01-01T00:05:00.000Z');
const args = { bucket: 'aep-artifacts', endpointName: 'recommender', executionArn: EXECUTION.id };
const lockBody = (holder: string) => s3Body(JSON.stringify({ holder, acquiredAt: '2025-01-01T00:00:00.000Z', endpointName: 'recommender' }));
const preconditionFailed = () => awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  sfnMock.reset();
});

describe('acquireLock', () => {
  it('creates the lock object with If-None-Match: * and our execution as holder', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"a"' });
    await expect(acquireLock({ ...args, now })).resolves.toEqual({ acquired: true });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'aep-artifacts', Key: 'locks/recommender.json', IfNoneMatch: '*' });
    const body = JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input.Body));
    expect(body).toEqual({ holder: EXECUTION.id, acquiredAt: now.toISOString(), endpointName: 'recommender' });
  });

  it('is acquired again when we already hold it (a retried step)', async () => {
    s3Mock.on(PutObjectCommand).rejects(preconditionFailed());
    s3Mock.on(GetObjectCommand).resolves({ Body: lockBody(EXECUTION.id), ETag: '"e1"' });
    await expect(acquireLock({ ...args, now })).resolves.toEqual({ acquired: true });
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('is not acquired while the holder execution is RUNNING, and names the holder', async () => {
    s3Mock.on(PutObjectCommand).rejects(preconditionFailed());
    s3Mock.on(GetObjectCommand).resolves({ Body: lockBody(OTHER_EXECUTION_ARN), ETag: '"e1"' });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    await expect(acquireLock({ ...args, now })).resolves.toEqual({ acquired: false, holder: OTHER_EXECUTION_ARN });
    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 1);
  });

  it.each([
    ['a finished holder', () => sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED' })],
    ['a holder that no longer exists', () => sfnMock.on(DescribeExecutionCommand).rejects(awsError('ExecutionDoesNotExist'))],
  ])('takes over the lock of %s with If-Match on its ETag', async (_, arrange) => {
    arrange();
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).rejects(preconditionFailed());
    s3Mock.on(PutObjectCommand, { IfMatch: '"e1"' }).resolves({ ETag: '"e2"' });
    s3Mock.on(GetObjectCommand).resolves({ Body: lockBody(OTHER_EXECUTION_ARN), ETag: '"e1"' });
    await expect(acquireLock({ ...args, now })).resolves.toEqual({ acquired: true });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, { IfMatch: '"e1"' });
  });

  it('takes over an unreadable lock object (it can never be released otherwise)', async () => {
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).rejects(preconditionFailed());
    s3Mock.on(PutObjectCommand, { IfMatch: '"e1"' }).resolves({});
    s3Mock.on(GetObjectCommand).resolves({ Body: s3Body('not json'), ETag: '"e1"' });
    await expect(acquireLock({ ...args, now })).resolves.toEqual({ acquired: true });
  });

  it('loses a takeover race to another execution and then waits for it', async () => {
    const winner = 'arn:aws:states:us-east-1:123456789012:execution:aep-deploy:run-2';
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).rejects(preconditionFailed());
    s3Mock.on(PutObjectCommand, { IfMatch: '"e1"' }).rejects(preconditionFailed());
    s3Mock
      .on(GetObjectCommand)
      .resolvesOnce({ Body: lockBody(OTHER_EXECUTION_ARN), ETag: '"e1"' })
      .resolves({ Body: lockBody(winner), ETag: '"e2"' });
    sfnMock.on(DescribeExecutionCommand, { executionArn: OTHER_EXECUTION_ARN }).resolves({ status: 'ABORTED' });
    sfnMock.on(DescribeExecutionCommand, { executionArn: winner }).resolves({ status: 'RUNNING' });
    await expect(acquireLock({ ...args, now })).resolves.toEqual({ acquired: false, holder: winner });
  });

  it('treats 409 ConditionalRequestConflict as "try again"', async () => {
    s3Mock
      .on(PutObjectCommand)
      .rejectsOnce(awsError('ConditionalRequestConflict', 'conflict', 409))
      .resolves({});
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'gone', 404));
    await expect(acquireLock({ ...args, now })).resolves.toEqual({ acquired: true });
    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 2);
  });

  it('lets other S3 errors through', async () => {
    s3Mock.on(PutObjectCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    await expect(acquireLock({ ...args, now })).rejects.toThrow('Access Denied');
  });
});

describe('releaseLock', () => {
  it('deletes the lock we hold, conditionally on its ETag', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: lockBody(EXECUTION.id), ETag: '"e1"' });
    s3Mock.on(DeleteObjectCommand).resolves({});
    await expect(releaseLock(args)).resolves.toBe(true);
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectCommand, { Key: 'locks/recommender.json', IfMatch: '"e1"' });
  });

  it('leaves a lock held by another execution alone', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: lockBody(OTHER_EXECUTION_ARN), ETag: '"e1"' });
    await expect(releaseLock(args)).resolves.toBe(false);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('is false when there is no lock (released twice)', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
    await expect(releaseLock(args)).resolves.toBe(false);
  });

  it('is false when the lock was taken over between reading and deleting', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: lockBody(EXECUTION.id), ETag: '"e1"' });
    s3Mock.on(DeleteObjectCommand).rejects(preconditionFailed());
    await expect(releaseLock(args)).resolves.toBe(false);
  });
});
