import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { checkOutput } from '../../functions/check-output/check';
import { handler } from '../../functions/check-output/handler';
import { existingKeys } from '../../functions/lib/s3-objects';
import { parseInvokedSmokeCaseState } from '../../functions/lib/smoke-case-state';
import { awsError, s3Body, setTestEnvironment, smokeCaseState, smokeInvocation } from './fixtures';

const s3Mock = mockClient(S3Client);
const invocation = smokeInvocation();
// Both in async-outputs/recommender/, as the pipeline's endpoint configs put them: one listing under their common prefix.
const outputKey = 'async-outputs/recommender/out-1.out';
const failureKey = 'async-outputs/recommender/out-1-error.out';
const listing = { Bucket: 'aep-artifacts', Prefix: 'async-outputs/recommender/out-1' };
const notFound = () => awsError('NotFound', 'Not Found', 404);
const state = (polls?: number, invoked = invocation) =>
  parseInvokedSmokeCaseState(
    smokeCaseState({
      invocation: invoked,
      ...(polls === undefined ? {} : { output: { ready: false, polls, nextPollSeconds: 10, checkedAt: invoked.invokedAt } }),
    }),
  );
const listed = (...keys: string[]) => ({ Contents: keys.map((Key) => ({ Key })), KeyCount: keys.length, IsTruncated: false });
const secondsAfterInvoke = (s: number) => new Date(Date.parse(invocation.invokedAt) + s * 1000);

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  s3Mock.on(HeadObjectCommand).rejects(notFound());
  s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
  s3Mock.on(ListObjectsV2Command).resolves(listed());
});

describe('CheckOutput', () => {
  it('is ready when the output object exists, after one listing', async () => {
    s3Mock.on(ListObjectsV2Command, listing).resolves(listed(outputKey));
    const result = await handler(smokeCaseState({ invocation }));
    expect(result).toMatchObject({ ready: true, polls: 1 });
    expect(s3Mock.calls()).toHaveLength(1);
  });

  it('is not ready while neither object exists (one call per check), and polls again on the configured schedule', async () => {
    const first = await checkOutput(state(), secondsAfterInvoke(5));
    expect(first).toEqual({ ready: false, polls: 1, nextPollSeconds: 10, checkedAt: secondsAfterInvoke(5).toISOString() });
    expect(s3Mock.calls()).toHaveLength(1);
    expect(s3Mock).toHaveReceivedCommandWith(ListObjectsV2Command, listing);
    const later = await checkOutput(state(4), secondsAfterInvoke(60));
    // the interval grows from 10 s to at most 1.5 × 10 s (READINESS_POLL_MAX_FACTOR)
    expect(later).toMatchObject({ ready: false, polls: 5, nextPollSeconds: 15 });
    expect(s3Mock.calls()).toHaveLength(2);
  });

  it("does not take another inference's objects under the same prefix for this one's", async () => {
    // out-10 shares the prefix out-1: its output and its failure are listed too, and neither is this invocation's
    s3Mock
      .on(ListObjectsV2Command, listing)
      .resolves(listed('async-outputs/recommender/out-1-error.out.tmp', 'async-outputs/recommender/out-10-error.out', 'async-outputs/recommender/out-10.out'));
    await expect(checkOutput(state(), secondsAfterInvoke(5))).resolves.toMatchObject({ ready: false });
    expect(s3Mock.calls()).toHaveLength(1);
  });

  it('fails with SmokeInvocationFailed quoting the first KB of the failure object (listed, then one ranged GET)', async () => {
    s3Mock.on(ListObjectsV2Command, listing).resolves(listed(failureKey, 'async-outputs/recommender/out-10.out'));
    s3Mock.on(GetObjectCommand, { Key: failureKey }).resolves({ Body: s3Body('ValueError: bad input\n' + 'x'.repeat(2000)), ContentRange: 'bytes 0-1023/2022' });
    const error = await checkOutput(state(), secondsAfterInvoke(5)).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'SmokeInvocationFailed' });
    expect((error as Error).message).toContain('case shoes-top5');
    expect((error as Error).message).toContain(`failure object s3://aep-artifacts/${failureKey} says: "ValueError: bad input x`);
    expect((error as Error).message.length).toBeLessThan(1400);
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'aep-artifacts', Key: failureKey, Range: 'bytes=0-1023' });
    expect(s3Mock.calls()).toHaveLength(2);
  });

  it('counts the output when both objects are listed', async () => {
    s3Mock.on(ListObjectsV2Command, listing).resolves(listed(failureKey, outputKey));
    await expect(checkOutput(state(), secondsAfterInvoke(5))).resolves.toMatchObject({ ready: true });
    expect(s3Mock.calls()).toHaveLength(1);
  });

  it('fails with OutputTimeout naming the case, the seconds and where it looked once timeouts.outputSeconds passed', async () => {
    const error = await checkOutput(state(10), secondsAfterInvoke(1200)).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'OutputTimeout' });
    expect((error as Error).message).toMatch(/^case shoes-top5: no output after 1200 s \(timeouts.outputSeconds = 1200\)/);
    expect((error as Error).message).toContain(invocation.outputLocation);
    expect((error as Error).message).toContain(invocation.failureLocation);
  });

  it('prefers a late output over the timeout (the object is what counts)', async () => {
    s3Mock.on(ListObjectsV2Command, listing).resolves(listed(outputKey));
    await expect(checkOutput(state(10), secondsAfterInvoke(5000))).resolves.toMatchObject({ ready: true });
  });

  it('takes a missing bucket for "nothing yet", as HeadObject does, and lets AccessDenied through', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
    await expect(checkOutput(state(), secondsAfterInvoke(5))).resolves.toMatchObject({ ready: false });
    s3Mock.on(ListObjectsV2Command).rejects(awsError('AccessDenied', 'Access Denied', 403));
    await expect(handler(smokeCaseState({ invocation }))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('turns a throttled listing into TransientError', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(awsError('SlowDown', 'Please reduce your request rate.', 503));
    await expect(handler(smokeCaseState({ invocation }))).rejects.toMatchObject({ name: 'TransientError' });
  });

  describe('when the failure object is elsewhere (an endpoint config not made by the pipeline)', () => {
    const elsewhere = smokeInvocation({ failureLocation: 's3://aep-artifacts/async-failures/recommender/out-1-error.out' });

    it('HEADs the output, then looks for the failure object with one ranged GET', async () => {
      await expect(checkOutput(state(undefined, elsewhere), secondsAfterInvoke(5))).resolves.toMatchObject({ ready: false });
      expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'aep-artifacts', Key: outputKey });
      expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Key: 'async-failures/recommender/out-1-error.out', Range: 'bytes=0-1023' });
      // the failure object is looked for with that one ranged GET, not a HEAD first
      expect(s3Mock).not.toHaveReceivedCommandWith(HeadObjectCommand, { Key: 'async-failures/recommender/out-1-error.out' });
      expect(s3Mock).not.toHaveReceivedCommand(ListObjectsV2Command);
    });

    it('is ready on the HEAD alone when the output exists; a failure object fails the case', async () => {
      s3Mock.on(HeadObjectCommand, { Bucket: 'aep-artifacts', Key: outputKey }).resolves({ ContentLength: 12, ETag: '"o"' });
      await expect(checkOutput(state(undefined, elsewhere), secondsAfterInvoke(5))).resolves.toMatchObject({ ready: true });
      expect(s3Mock.calls()).toHaveLength(1);
      s3Mock.on(HeadObjectCommand).rejects(notFound());
      s3Mock.on(GetObjectCommand, { Key: 'async-failures/recommender/out-1-error.out' }).resolves({ Body: s3Body('boom'), ContentRange: 'bytes 0-3/4' });
      await expect(checkOutput(state(undefined, elsewhere), secondsAfterInvoke(5))).rejects.toMatchObject({ name: 'SmokeInvocationFailed' });
    });

    it('in another bucket, or without a failure path, HEADs the output too', async () => {
      const otherBucket = smokeInvocation({ failureLocation: 's3://other-bucket/async-outputs/recommender/out-1-error.out' });
      await checkOutput(state(undefined, otherBucket), secondsAfterInvoke(5));
      expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'other-bucket' });
      const noFailurePath = smokeInvocation({ failureLocation: undefined });
      s3Mock.resetHistory();
      await checkOutput(state(undefined, noFailurePath), secondsAfterInvoke(5));
      expect(s3Mock.calls().map((c) => c.args[0].constructor.name)).toEqual(['HeadObjectCommand']);
      expect(s3Mock).not.toHaveReceivedCommand(ListObjectsV2Command);
    });

    it('turns a throttled HeadObject into TransientError', async () => {
      s3Mock.on(HeadObjectCommand).rejects(awsError('SlowDown', 'Please reduce your request rate.', 503));
      await expect(handler(smokeCaseState({ invocation: elsewhere }))).rejects.toMatchObject({ name: 'TransientError' });
    });
  });

  it('rejects a state without an invocation', async () => {
    await expect(handler(smokeCaseState())).rejects.toThrow(/has no invocation/);
  });
});

describe('existingKeys', () => {
  const wanted = ['p/abc-error.out', 'p/abc.out'];
  const page = (keys: string[], next?: string) => ({ Contents: keys.map((Key) => ({ Key })), IsTruncated: next !== undefined, NextContinuationToken: next });

  it('pages on only while the wanted keys could still come (S3 lists in key order)', async () => {
    s3Mock
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves(page(['p/abc!1.out', 'p/abc!2.out'], 't1'))
      .on(ListObjectsV2Command, { ContinuationToken: 't1' })
      .resolves(page(['p/abc-error.out', 'p/abc0.out'], 't2'));
    await expect(existingKeys('b', 'p/abc', wanted)).resolves.toEqual(new Set(['p/abc-error.out']));
    // the second page ends past p/abc.out: a third could not hold it
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'b', Prefix: 'p/abc', MaxKeys: 1000, ContinuationToken: undefined },
      { Bucket: 'b', Prefix: 'p/abc', MaxKeys: 1000, ContinuationToken: 't1' },
    ]);
  });

  it('stops once every wanted key is found', async () => {
    s3Mock.on(ListObjectsV2Command).resolves(page(wanted, 't1'));
    await expect(existingKeys('b', 'p/abc', wanted)).resolves.toEqual(new Set(wanted));
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(1);
  });
});
