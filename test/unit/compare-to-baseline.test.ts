import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { compareExact } from '../../functions/compare-to-baseline/exact';
import { handler } from '../../functions/compare-to-baseline/handler';
import { truncateSelection } from '../../functions/compare-to-baseline/report';
import type { SmokeTest } from '../../functions/lib/deployment-input';
import { awsError, s3Body, setTestEnvironment, smokeCaseState, smokeInvocation } from './fixtures';

const s3Mock = mockClient(S3Client);
const runtimeMock = mockClient(SageMakerRuntimeClient);
const invocation = smokeInvocation();
const OUTPUT_KEY = 'async-outputs/recommender/out-1.out';
const BASELINE_KEY = 'baselines/shoes.json';
const REPORT_URI = 's3://aep-artifacts/reports/recommender/run-1/shoes-top5.json';
const ranked = (...ids: string[]) => JSON.stringify({ recommendations: ids.map((item_id) => ({ item_id, score: 1 })) });

function givenObject(key: string, body: string, lastModified = new Date('2025-01-01T00:10:42.000Z')) {
  s3Mock.on(HeadObjectCommand, { Key: key }).resolves({ ContentLength: body.length, LastModified: lastModified, ETag: '"e"' });
  s3Mock.on(GetObjectCommand, { Key: key }).resolves({ Body: s3Body(body), ETag: '"e"', ContentLength: body.length, LastModified: lastModified });
}

function caseWith(overrides: Partial<SmokeTest>) {
  const state = smokeCaseState({ invocation });
  return { ...state, case: { ...state.case, ...overrides } as SmokeTest };
}

function writtenReport(): Record<string, unknown> {
  const put = s3Mock.commandCalls(PutObjectCommand).at(-1)!.args[0].input;
  expect(put).toMatchObject({ Bucket: 'aep-artifacts', Key: 'reports/recommender/run-1/shoes-top5.json', ContentType: 'application/json' });
  return JSON.parse(String(put.Body));
}

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  runtimeMock.reset();
  s3Mock.on(HeadObjectCommand).rejects(awsError('NotFound', 'Not Found', 404));
  s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
  s3Mock.on(PutObjectCommand).resolves({});
});

describe('CompareToBaseline', () => {
  it('passes a topk case, writes the report and returns the case result with its latency', async () => {
    givenObject(OUTPUT_KEY, ranked('a', 'b', 'c', 'd', 'e'));
    givenObject(BASELINE_KEY, ranked('a', 'b', 'c', 'd', 'x'));
    const found = { ready: true, polls: 1, nextPollSeconds: 0, checkedAt: '2025-01-01T00:10:42.350Z' };
    const result = await handler(smokeCaseState({ invocation, output: found }));
    expect(result).toEqual({
      name: 'shoes-top5',
      passed: true,
      mode: 'topk',
      // Recorded rounded to 6 decimals, as people read them.
      metrics: expect.objectContaining({ overlapAtK: 0.8, jaccard: 0.666667 }),
      inferenceId: invocation.inferenceId,
      outputUri: invocation.outputLocation,
      reportUri: REPORT_URI,
      latencySeconds: 42.35,
      endpointName: 'recommender',
      phase: 'gate',
    });
    const report = writtenReport();
    expect(report).toMatchObject({
      case: 'shoes-top5',
      mode: 'topk',
      passed: true,
      outputUri: invocation.outputLocation,
      baseline: 's3://aep-models/baselines/shoes.json',
      selections: { output: ['a', 'b', 'c', 'd', 'e'], baseline: ['a', 'b', 'c', 'd', 'x'] },
    });
    expect(report.metrics).toEqual(result.metrics);
  });

  it('measures a sub-second latency in milliseconds, though S3 dates the output to the second', async () => {
    // Invoked at .600 s, written within the same second (LastModified says :00), found by the notification at .950 s.
    const subSecond = smokeInvocation({ invokedAt: '2025-01-01T00:10:00.600Z' });
    givenObject(OUTPUT_KEY, ranked('a'), new Date('2025-01-01T00:10:00.000Z'));
    givenObject(BASELINE_KEY, ranked('a'));
    const found = { ready: true, polls: 1, nextPollSeconds: 0, checkedAt: '2025-01-01T00:10:00.950Z' };
    expect((await handler(smokeCaseState({ invocation: subSecond, output: found }))).latencySeconds).toBe(0.35);
    // Found by a poll 10 s later: the write happened within LastModified's second, so at most its end.
    const polled = { ...found, checkedAt: '2025-01-01T00:10:10.000Z' };
    expect((await handler(smokeCaseState({ invocation: subSecond, output: polled }))).latencySeconds).toBe(0.399);
  });

  it('fails a topk case below minOverlap with a one-sentence cause naming the report', async () => {
    givenObject(OUTPUT_KEY, ranked('a', 'b', 'x', 'y', 'z'));
    givenObject(BASELINE_KEY, ranked('a', 'b', 'c', 'd', 'e'));
    const result = await handler(smokeCaseState({ invocation }));
    expect(result.passed).toBe(false);
    expect(result.cause).toBe(`case shoes-top5: overlap@5 = 0.40 < minOverlap 0.80 (report ${REPORT_URI})`);
    expect(writtenReport()).toMatchObject({ passed: false, cause: result.cause });
  });

  it('gives the same result and overwrites the same report when re-run', async () => {
    givenObject(OUTPUT_KEY, ranked('a', 'b', 'c', 'd', 'e'));
    givenObject(BASELINE_KEY, ranked('a', 'b', 'c', 'd', 'e'));
    const first = await handler(smokeCaseState({ invocation }));
    const second = await handler(smokeCaseState({ invocation }));
    expect(second).toEqual(first);
    const keys = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toEqual([keys[0], keys[0]]);
  });

  it('fails the case (without throwing) when the output is not JSON', async () => {
    givenObject(OUTPUT_KEY, 'Traceback (most recent call last):');
    givenObject(BASELINE_KEY, ranked('a'));
    const result = await handler(smokeCaseState({ invocation }));
    expect(result).toMatchObject({ passed: false, metrics: {} });
    expect(result.cause).toMatch(/^case shoes-top5: the output is not valid JSON \(.*starts with "Traceback/);
    expect(result.cause).toContain(`(report ${REPORT_URI})`);
  });

  it('fails the case when the JSONPath selects nothing in the output', async () => {
    givenObject(OUTPUT_KEY, JSON.stringify({ items: [] }));
    givenObject(BASELINE_KEY, ranked('a'));
    const result = await handler(smokeCaseState({ invocation }));
    expect(result.cause).toBe(
      `case shoes-top5: JSONPath $.recommendations[*].item_id selects nothing in the output (report ${REPORT_URI})`,
    );
  });

  it('reads the output and the baseline with one GET each (no HEAD first), and refuses one too large to compare unread', async () => {
    givenObject(OUTPUT_KEY, ranked('a', 'b', 'c', 'd', 'e'));
    givenObject(BASELINE_KEY, ranked('a', 'b', 'c', 'd', 'e'));
    await handler(smokeCaseState({ invocation }));
    expect(s3Mock).toHaveReceivedCommandTimes(GetObjectCommand, 2);
    expect(s3Mock).not.toHaveReceivedCommand(HeadObjectCommand);

    const body = s3Body('{}') as unknown as { destroy: () => void };
    const destroy = jest.spyOn(body, 'destroy');
    s3Mock.on(GetObjectCommand, { Key: OUTPUT_KEY }).resolves({ Body: body as never, ContentLength: 65 * 1024 * 1024 });
    const result = await handler(smokeCaseState({ invocation }));
    expect(result.cause).toContain(`the output ${invocation.outputLocation} is 65.0 MiB, more than the 64.0 MiB a comparison reads`);
    expect(destroy).toHaveBeenCalled();
  });

  it('fails the case when the output object is missing or the baseline object is gone', async () => {
    givenObject(BASELINE_KEY, ranked('a'));
    const missingOutput = await handler(smokeCaseState({ invocation }));
    expect(missingOutput.cause).toContain(`the output ${invocation.outputLocation} does not exist`);

    s3Mock.reset();
    s3Mock.on(HeadObjectCommand).rejects(awsError('NotFound', 'Not Found', 404));
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
    s3Mock.on(PutObjectCommand).resolves({});
    givenObject(OUTPUT_KEY, ranked('a'));
    const missingBaseline = await handler(smokeCaseState({ invocation }));
    expect(missingBaseline.cause).toContain('the baseline s3://aep-models/baselines/shoes.json does not exist');
  });

  it('takes the baseline from a reference endpoint by real-time InvokeEndpoint of the same payload', async () => {
    givenObject(OUTPUT_KEY, ranked('a', 'b', 'c', 'd', 'e'));
    givenObject('payloads/shoes.json', '{"user":"u1"}');
    runtimeMock.on(InvokeEndpointCommand).resolves({ Body: Buffer.from(ranked('a', 'b', 'c', 'd', 'e')) as never });
    const result = await handler(caseWith({ baseline: { endpointName: 'recommender-realtime' } }));
    expect(result.passed).toBe(true);
    expect(runtimeMock).toHaveReceivedCommandWith(InvokeEndpointCommand, {
      EndpointName: 'recommender-realtime',
      ContentType: 'application/json',
    });
    const sent = runtimeMock.commandCalls(InvokeEndpointCommand)[0].args[0].input.Body;
    expect(Buffer.from(sent as Uint8Array).toString()).toBe('{"user":"u1"}');
    expect(writtenReport()).toMatchObject({ baseline: 'endpoint recommender-realtime' });
  });

  it('fails the case when the reference endpoint rejects the payload', async () => {
    givenObject(OUTPUT_KEY, ranked('a'));
    givenObject('payloads/shoes.json', '{}');
    runtimeMock.on(InvokeEndpointCommand).rejects(awsError('ModelError', 'Received client error (400) from primary'));
    const result = await handler(caseWith({ baseline: { endpointName: 'recommender-realtime' } }));
    expect(result.cause).toContain('the reference endpoint recommender-realtime did not answer the payload (ModelError: Received client error (400)');
  });

  it('compares numeric cases over the JSONPath selection', async () => {
    givenObject(OUTPUT_KEY, JSON.stringify({ scores: [0.5, 0.25], id: 'x' }));
    givenObject(BASELINE_KEY, JSON.stringify({ scores: [0.5, 0.3], id: 'y' }));
    const result = await handler(caseWith({ compare: { mode: 'numeric', path: '$.scores', absTol: 0.01, relTol: 0 } }));
    expect(result).toMatchObject({ passed: false, mode: 'numeric', metrics: { compared: 2, violations: 1 } });
    expect(result.cause).toMatch(/^case shoes-top5: 1 of 2 numbers differ by more than absTol 0.01/);
  });

  it('compares exact cases on the whole document by default and lists the first differing paths', async () => {
    givenObject(OUTPUT_KEY, JSON.stringify({ label: 'cat', tags: ['a', 'b'] }));
    givenObject(BASELINE_KEY, JSON.stringify({ label: 'dog', tags: ['a', 'b'] }));
    const result = await handler(caseWith({ compare: { mode: 'exact' } }));
    expect(result).toMatchObject({ passed: false, metrics: { equal: 0, differences: 1 } });
    expect(result.cause).toContain('output differs from the baseline in 1 place, first $.label (output "cat" ≠ baseline "dog")');
    expect(writtenReport().differences).toEqual([{ path: '$.label', detail: 'output "cat" ≠ baseline "dog"' }]);
  });

  it('turns throttling while reading into TransientError (retried, not a failed case)', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('SlowDown', 'Please reduce your request rate.', 503));
    await expect(handler(smokeCaseState({ invocation }))).rejects.toMatchObject({ name: 'TransientError' });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('compareExact', () => {
  it('is equal for deeply equal documents regardless of key order', () => {
    expect(compareExact({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toMatchObject({
      passed: true,
      metrics: { equal: 1, differences: 0 },
    });
  });

  it('counts every difference: values, types, missing keys and elements', () => {
    const outcome = compareExact({ a: 1, b: 'x', c: [1, 2], 'odd key': true }, { a: 2, b: 1, c: [1], d: 0, 'odd key': true });
    expect(outcome.metrics).toEqual({ equal: 0, differences: 4 });
    expect(outcome.differences?.map((d) => d.path)).toEqual(['$.a', '$.b', '$.c[1]', '$.d']);
  });

  it('names a key that is not an identifier in bracket notation', () => {
    expect(compareExact({ 'odd key': 1 }, { 'odd key': 2 }).differences?.[0].path).toBe("$['odd key']");
  });
});

describe('truncateSelection', () => {
  it('keeps small selections, cuts long arrays to their first items and long values to a preview', () => {
    expect(truncateSelection([1, 2, 3])).toEqual([1, 2, 3]);
    const longArray = Array.from({ length: 1000 }, (_, i) => `item-${i}`);
    const cut = truncateSelection(longArray, 100) as { truncated: boolean; totalItems: number; items: string[] };
    expect(cut).toMatchObject({ truncated: true, totalItems: 1000 });
    expect(JSON.stringify(cut.items).length).toBeLessThanOrEqual(100);
    expect(cut.items[0]).toBe('item-0');
    expect(truncateSelection({ text: 'x'.repeat(500) }, 100)).toMatchObject({ truncated: true, totalChars: 511, preview: expect.stringMatching(/^{"text":"x{91}$/) });
  });
});
