import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { checkOutput } from '../../functions/check-output/check';
import { handler } from '../../functions/check-output/handler';
import { parseInvokedSmokeCaseState } from '../../functions/lib/smoke-case-state';
import { awsError, s3Body, setTestEnvironment, smokeCaseState, smokeInvocation } from './fixtures';

const s3Mock = mockClient(S3Client);
const invocation = smokeInvocation();
const notFound = () => awsError('NotFound', 'Not Found', 404);
const state = (polls?: number) =>
  parseInvokedSmokeCaseState(
    smokeCaseState({
      invocation,
      ...(polls === undefined ? {} : { output: { ready: false, polls, nextPollSeconds: 10, checkedAt: invocation.invokedAt } }),
    }),
  );
const secondsAfterInvoke = (s: number) => new Date(Date.parse(invocation.invokedAt) + s * 1000);

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  s3Mock.on(HeadObjectCommand).rejects(notFound());
  s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
});

describe('CheckOutput', () => {
  it('is ready when the output object exists', async () => {
    s3Mock
      .on(HeadObjectCommand, { Bucket: 'aep-artifacts', Key: 'async-outputs/recommender/out-1.out' })
      .resolves({ ContentLength: 12, ETag: '"o"' });
    const result = await handler(smokeCaseState({ invocation }));
    expect(result).toMatchObject({ ready: true, polls: 1 });
  });

  it('is not ready while neither object exists, and polls again on the configured schedule', async () => {
    const first = await checkOutput(state(), secondsAfterInvoke(5));
    expect(first).toEqual({ ready: false, polls: 1, nextPollSeconds: 10, checkedAt: secondsAfterInvoke(5).toISOString() });
    const later = await checkOutput(state(4), secondsAfterInvoke(60));
    // the interval grows from 10 s to at most 1.5 × 10 s (READINESS_POLL_MAX_FACTOR)
    expect(later).toMatchObject({ ready: false, polls: 5, nextPollSeconds: 15 });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Key: 'async-outputs/recommender/out-1-error.out', Range: 'bytes=0-1023' });
    // the failure object is looked for with that one ranged GET, not a HEAD first
    expect(s3Mock).not.toHaveReceivedCommandWith(HeadObjectCommand, { Key: 'async-outputs/recommender/out-1-error.out' });
  });

  it('fails with SmokeInvocationFailed quoting the first KB of the failure object', async () => {
    const failureKey = 'async-outputs/recommender/out-1-error.out';
    s3Mock.on(GetObjectCommand, { Key: failureKey }).resolves({ Body: s3Body('ValueError: bad input\n' + 'x'.repeat(2000)), ContentRange: 'bytes 0-1023/2022' });
    const error = await checkOutput(state(), secondsAfterInvoke(5)).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'SmokeInvocationFailed' });
    expect((error as Error).message).toContain('case shoes-top5');
    expect((error as Error).message).toContain(`failure object s3://aep-artifacts/${failureKey} says: "ValueError: bad input x`);
    expect((error as Error).message.length).toBeLessThan(1400);
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Key: failureKey, Range: 'bytes=0-1023' });
  });

  it('fails with OutputTimeout naming the case, the seconds and where it looked once timeouts.outputSeconds passed', async () => {
    const error = await checkOutput(state(10), secondsAfterInvoke(1200)).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'OutputTimeout' });
    expect((error as Error).message).toMatch(/^case shoes-top5: no output after 1200 s \(timeouts.outputSeconds = 1200\)/);
    expect((error as Error).message).toContain(invocation.outputLocation);
    expect((error as Error).message).toContain(invocation.failureLocation);
  });

  it('prefers a late output over the timeout (the object is what counts)', async () => {
    s3Mock.on(HeadObjectCommand, { Key: 'async-outputs/recommender/out-1.out' }).resolves({ ContentLength: 1 });
    await expect(checkOutput(state(10), secondsAfterInvoke(5000))).resolves.toMatchObject({ ready: true });
  });

  it('turns a throttled HeadObject into TransientError', async () => {
    s3Mock.on(HeadObjectCommand).rejects(awsError('SlowDown', 'Please reduce your request rate.', 503));
    await expect(handler(smokeCaseState({ invocation }))).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('rejects a state without an invocation', async () => {
    await expect(handler(smokeCaseState())).rejects.toThrow(/has no invocation/);
  });
});
