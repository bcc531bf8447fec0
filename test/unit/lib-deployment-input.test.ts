import { BUILT_IN_DEFAULTS, describeIssues, executionInputSchema, mergeLayers } from '../../functions/lib/deployment-input';
import { ENDPOINT_NAME_MAX, isDerivedName, resourceNames, runId } from '../../functions/lib/names';
import { nextPollSeconds } from '../../functions/lib/poll-schedule';
import { parseS3Uri, keyPrefix } from '../../functions/lib/s3-uri';

describe('executionInputSchema', () => {
  it('names every bad field, nested ones with their index', () => {
    const result = executionInputSchema.safeParse({
      modelDataUrl: 'https://example.com/model.tar.gz',
      instanceCount: 0,
      instancetype: 'ml.m5.large',
      smokeTests: [{ name: 'a', payloadUri: 's3://aep-models/p.json', baseline: { uri: 's3://aep-models/b.json' }, compare: { mode: 'topk', path: '$.x', k: 0, minOverlap: 2 } }],
    });
    expect(result.success).toBe(false);
    const message = describeIssues(result.error!);
    expect(message).toContain('modelDataUrl: must be an S3 URI');
    expect(message).toContain('instanceCount:');
    expect(message).toContain('(input): ');
    expect(message).toContain('instancetype');
    expect(message).toContain('smokeTests[0].compare.k:');
    expect(message).toContain('smokeTests[0].compare.minOverlap:');
  });

  it('rejects invocation timeouts over SageMaker’s 3600 seconds', () => {
    const result = executionInputSchema.safeParse({ modelDataUrl: 's3://aep-models/m/model.tar.gz', async: { invocationTimeoutSeconds: 3601 } });
    expect(describeIssues(result.error!)).toMatch(/^async\.invocationTimeoutSeconds:/);
  });

  it('accepts the DESIGN example input', () => {
    const result = executionInputSchema.safeParse({
      modelDataUrl: 's3://aep-models/models/recommender/v2/model.tar.gz',
      endpointName: 'recommender',
      image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3-cpu',
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      environment: {},
      async: { maxConcurrentInvocationsPerInstance: 4, invocationTimeoutSeconds: 900 },
      smokeTests: [{ name: 'shoes-top5', payloadUri: 's3://aep-models/payloads/shoes.json', contentType: 'application/json', baseline: { endpointName: 'recommender-realtime' }, compare: { mode: 'topk', path: '$.recommendations[*].item_id', k: 5, minOverlap: 0.8 } }],
      poll: { endpointSeconds: 30, outputSeconds: 10 },
      timeouts: { endpointSeconds: 3600, outputSeconds: 1200, lockSeconds: 3600 },
      onFailure: 'rollback',
    });
    expect(result.success).toBe(true);
  });
});

describe('environment keys that cannot be carried', () => {
  it.each([
    ['{"__proto__": "x", "A": "b"}', 'environment.__proto__: cannot be an environment variable name here'],
    ['{"A=B": "x"}', 'environment.a=b: invalid key in record'],
    ['{"": "x"}', 'environment.: invalid key in record'],
  ])('%s is refused with a named error, never silently dropped', (environment, message) => {
    // JSON.parse, as the execution input arrives: "__proto__" is then an own key, which a record schema would drop
    const input = JSON.parse(`{"modelDataUrl": "s3://aep-models/m/model.tar.gz", "environment": ${environment}}`);
    const result = executionInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!).toLowerCase()).toContain(message.toLowerCase());
  });

  it('a valid environment passes whole', () => {
    const input = JSON.parse('{"modelDataUrl": "s3://aep-models/m/model.tar.gz", "environment": {"A": "1", "_B2": "2"}}');
    expect(executionInputSchema.parse(input).environment).toEqual({ A: '1', _B2: '2' });
  });
});

describe('mergeLayers', () => {
  it('merges objects by key and replaces scalars and arrays, later layers winning', () => {
    const merged = mergeLayers(
      BUILT_IN_DEFAULTS,
      { poll: { endpointSeconds: 5, outputSeconds: 10, lockSeconds: 30 }, environment: { A: '1' }, smokeTests: [{ name: 'x' } as never] },
      { environment: { B: '2' }, instanceCount: 3, smokeTests: [] },
    );
    expect(merged.poll).toEqual({ endpointSeconds: 5, outputSeconds: 10, lockSeconds: 30 });
    expect(merged.environment).toEqual({ A: '1', B: '2' });
    expect(merged.instanceCount).toBe(3);
    expect(merged.smokeTests).toEqual([]);
    expect(merged.timeouts).toEqual(BUILT_IN_DEFAULTS.timeouts);
  });
});

describe('names', () => {
  it('derives stable, distinct, SageMaker-valid names from the execution', () => {
    const a = resourceNames('recommender', 'arn:aws:states:us-east-1:1:execution:sm:run-1');
    expect(resourceNames('recommender', 'arn:aws:states:us-east-1:1:execution:sm:run-1')).toEqual(a);
    expect(resourceNames('recommender', 'arn:aws:states:us-east-1:1:execution:sm:run-2').model).not.toBe(a.model);
    expect(a.model).toMatch(/^recommender-[0-9a-f]{10}$/);
    expect(isDerivedName('recommender', a.endpointConfig)).toBe(true);
    expect(isDerivedName('recommender', 'recommender-v2')).toBe(false);
    expect(isDerivedName('recommender', `recommender-2-${runId('x')}`)).toBe(false);
    expect(`${'e'.repeat(ENDPOINT_NAME_MAX)}-${runId('x')}`).toHaveLength(63);
  });
});

describe('poll schedule and S3 URIs', () => {
  it('never polls faster than 1 s nor slower than the cap', () => {
    expect(nextPollSeconds(30, 0)).toBe(30);
    expect(nextPollSeconds(30, 10, 2)).toBe(60);
    expect(nextPollSeconds(0.1, 0)).toBe(1);
  });

  it('parses s3 URIs and key prefixes', () => {
    expect(parseS3Uri('s3://aep-models/models/r/v1/model.tar.gz')).toEqual({ bucket: 'aep-models', key: 'models/r/v1/model.tar.gz' });
    expect(parseS3Uri('s3://A/b')).toBeUndefined();
    expect(keyPrefix('models/r/v1/model.tar.gz')).toBe('models/r/v1/');
    expect(keyPrefix('model.tar.gz')).toBe('');
  });
});

describe('input errors in the words of the input', () => {
  const issuesOf = (input: unknown) => {
    const parsed = executionInputSchema.safeParse(input);
    if (parsed.success) throw new Error('expected the input to be refused');
    return describeIssues(parsed.error);
  };
  const MODEL = 's3://aep-models/models/recommender/v1/model.tar.gz';

  it('names the field an unknown key was probably meant to be', () => {
    expect(issuesOf({ modelDataUrl: MODEL, instanceCnt: 2 })).toBe('(input): unknown field "instanceCnt" (did you mean instanceCount?)');
    expect(issuesOf({ modelDataUrl: MODEL, async: { maxConcurrentInvocations: 2 } })).toBe(
      'async: unknown field "maxConcurrentInvocations" (did you mean maxConcurrentInvocationsPerInstance?)',
    );
    expect(issuesOf({ modelDataUrl: MODEL, zzzzzz: 1 })).toBe('(input): unknown field "zzzzzz"');
  });

  it('says what is required and what a baseline or comparison must look like, with no zod jargon or regex', () => {
    const text = issuesOf({ modelDataUrl: MODEL, endpointName: 'bad_name', smokeTests: [{ name: 'a', payloadUri: 's3://aep-models/p.json', baseline: {} }] });
    expect(text).toContain('endpointName: must be letters, digits and hyphens, starting and ending with a letter or digit');
    expect(text).toContain('smokeTests[0].baseline: must be {"uri": "s3://bucket/key"} (a stored baseline) or {"endpointName": "…"} (a reference endpoint)');
    expect(text).toContain('smokeTests[0].compare: needs "mode": "exact", "numeric" or "topk"');
    expect(issuesOf({ endpointName: 'x' })).toBe('modelDataUrl: is required (string)');
    expect(text).not.toMatch(/Invalid input|\^\[/);
  });
});
