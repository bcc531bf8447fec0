import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/validate-input/handler';
import { endpointNameFromKey } from '../../functions/validate-input/resolve-config';
import { MAX_INPUT_BYTES } from '../../functions/validate-input/validate-input';
import { resourceNames } from '../../functions/lib/names';
import { awsError, EXECUTION, IMAGE, MODEL_DATA_URL, s3Body, setTestEnvironment } from './fixtures';

const s3Mock = mockClient(S3Client);
const sm = mockClient(SageMakerClient);
const ENDPOINT_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/recommender';
const ARTIFACT_KEY = 'models/recommender/v2/model.tar.gz';
const DEPLOY_JSON_KEY = 'models/recommender/v2/deploy.json';
const GZIP = Buffer.from([0x1f, 0x8b]);
const smokeTest = {
  name: 'shoes-top5',
  payloadUri: 's3://aep-models/payloads/shoes.json',
  baseline: { uri: 's3://aep-models/baselines/shoes.json' },
  compare: { mode: 'topk', path: '$.recommendations[*].item_id', k: 5, minOverlap: 0.8 },
};
const run = (state: unknown) => handler({ state, execution: EXECUTION });
const notFound = () => awsError('NotFound', 'Not Found', 404);

/** The bucket as it is in the happy path; tests override single objects. */
function bucketWith(objects: { deployJson?: string; firstBytes?: Buffer } = {}) {
  s3Mock.on(HeadObjectCommand).rejects(notFound());
  for (const key of ['payloads/shoes.json', 'baselines/shoes.json']) s3Mock.on(HeadObjectCommand, { Key: key }).resolves({ ContentLength: 10 });
  s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
  if (objects.deployJson !== undefined) {
    s3Mock.on(GetObjectCommand, { Key: DEPLOY_JSON_KEY }).callsFake(() => ({ Body: s3Body(objects.deployJson!), ETag: '"d"' }));
  }
  // The artifact's ranged GET answers as S3 does: the first bytes, and the whole size in Content-Range.
  s3Mock.on(GetObjectCommand, { Key: ARTIFACT_KEY, Range: 'bytes=0-1' }).callsFake(() => ({
    Body: s3Body(objects.firstBytes ?? GZIP),
    ETag: '"9b2cf535"',
    VersionId: 'v-1',
    ContentLength: 2,
    ContentRange: 'bytes 0-1/2048',
    LastModified: new Date('2025-01-01T00:00:00Z'),
  }));
}

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  bucketWith();
  sm.reset();
  // no endpoint yet: nothing to own
  sm.on(DescribeEndpointCommand).rejects(awsError('ValidationException', 'Could not find endpoint "arn:…recommender".'));
});

describe('ownership of an existing endpoint', () => {
  const existing = (tags: { Key: string; Value: string }[]) => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointName: 'recommender', EndpointArn: ENDPOINT_ARN, EndpointStatus: 'InService' });
    sm.on(ListTagsCommand, { ResourceArn: ENDPOINT_ARN }).resolves({ Tags: tags });
  };

  it('ours (aep:pipeline matches): valid', async () => {
    existing([{ Key: 'aep:pipeline', Value: 'aep' }]);
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).resolves.toMatchObject({ config: { adopt: false } });
  });

  it("another pipeline's: EndpointNotOwned naming the tag it found, before anything else", async () => {
    existing([{ Key: 'aep:pipeline', Value: 'team-b' }]);
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).rejects.toMatchObject({
      name: 'EndpointNotOwned',
      message: expect.stringContaining('its aep:pipeline tag is "team-b", not "aep"'),
    });
  });

  it('untagged, adopt: true: valid, and the config says adopt', async () => {
    existing([]);
    await expect(run({ modelDataUrl: MODEL_DATA_URL, adopt: true })).resolves.toMatchObject({ config: { adopt: true } });
  });

  it('adopt is refused in deploy.json (only the execution input may take an endpoint over)', async () => {
    bucketWith({ deployJson: JSON.stringify({ adopt: true }) });
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('adopt') });
  });
});

describe('release settings', () => {
  it('default: candidate, all-at-once blue/green, verify on', async () => {
    const state = await run({ modelDataUrl: MODEL_DATA_URL, smokeTests: [smokeTest] });
    expect(state.config.release).toEqual({
      strategy: 'candidate',
      routing: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 0, terminationWaitSeconds: 0 },
      alarms: [],
      createAlarms: false,
      verify: true,
    });
  });

  it('verify is off when no case is marked for it', async () => {
    const state = await run({ modelDataUrl: MODEL_DATA_URL, smokeTests: [{ ...smokeTest, verify: false }] });
    expect(state.config.release.verify).toBe(false);
  });

  it('deploy.json sets the routing; the input overrides the strategy', async () => {
    const routing = { type: 'CANARY', size: { type: 'INSTANCE_COUNT', value: 1 }, waitIntervalSeconds: 60 };
    bucketWith({ deployJson: JSON.stringify({ release: { routing, alarms: ['errors'] } }) });
    const state = await run({ modelDataUrl: MODEL_DATA_URL, release: { strategy: 'in-place' } });
    expect(state.config.release).toMatchObject({ strategy: 'in-place', routing, alarms: ['errors'] });
  });

  it.each([
    [{ routing: { type: 'CANARY' } }, 'release.routing.size'],
    [{ routing: { type: 'LINEAR', size: { type: 'CAPACITY_PERCENT', value: 150 } } }, 'release.routing.size.value'],
    [{ strategy: 'blue-green' }, 'release.strategy'],
    [{ routing: { type: 'ALL_AT_ONCE', maximumExecutionTimeoutSeconds: 60 } }, 'release.routing.maximumExecutionTimeoutSeconds'],
    [{ alarms: Array.from({ length: 11 }, (_, i) => `a${i}`) }, 'release.alarms'],
  ])('refuses %j naming %s', async (release, field) => {
    await expect(run({ modelDataUrl: MODEL_DATA_URL, release })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining(field) });
  });
});

describe('a valid deployment', () => {
  it('resolves the config, derives names from the endpoint and execution, and records the artifact identity', async () => {
    bucketWith({ deployJson: JSON.stringify({ smokeTests: [smokeTest] }) });
    const state = await run({ modelDataUrl: MODEL_DATA_URL });
    expect(state.execution).toEqual(EXECUTION);
    expect(state.names).toEqual(resourceNames('recommender', EXECUTION.id));
    expect(state.artifact).toEqual({
      uri: MODEL_DATA_URL,
      bucket: 'aep-models',
      key: ARTIFACT_KEY,
      etag: '9b2cf535',
      versionId: 'v-1',
      sizeBytes: 2048,
      lastModified: '2025-01-01T00:00:00.000Z',
    });
    expect(state.config).toMatchObject({
      modelDataUrl: MODEL_DATA_URL,
      endpointName: 'recommender',
      image: IMAGE,
      instanceType: 'ml.m5.large',
      smokeTests: [{ ...smokeTest, contentType: 'application/json' }],
      onFailure: 'rollback',
    });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Key: ARTIFACT_KEY, Range: 'bytes=0-1' });
    // identity, size and magic number from that one GET
    expect(s3Mock).not.toHaveReceivedCommandWith(HeadObjectCommand, { Key: ARTIFACT_KEY });
  });

  it('layers defaults ← deploy.json ← execution input, merging nested objects by key', async () => {
    setTestEnvironment({ DEPLOYMENT_DEFAULTS: JSON.stringify({ image: IMAGE, instanceType: 'ml.c5.large', poll: { endpointSeconds: 60 } }) });
    bucketWith({ deployJson: JSON.stringify({ instanceType: 'ml.m5.xlarge', instanceCount: 2, poll: { outputSeconds: 5 } }) });
    const { config } = await run({ modelDataUrl: MODEL_DATA_URL, instanceCount: 3, endpointName: 'recs-async' });
    expect(config).toMatchObject({
      endpointName: 'recs-async',
      instanceType: 'ml.m5.xlarge',
      instanceCount: 3,
      poll: { endpointSeconds: 60, outputSeconds: 5, lockSeconds: 30 },
    });
  });

  it('gives the same result when re-run (it only reads)', async () => {
    const first = await run({ modelDataUrl: MODEL_DATA_URL });
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).resolves.toEqual(first);
  });

  it('derives the endpoint name from the folder after models/', () => {
    expect(endpointNameFromKey('models/recommender/v2/model.tar.gz')).toBe('recommender');
    expect(endpointNameFromKey('team-a/models/ranker/model.tar.gz')).toBe('ranker');
    expect(endpointNameFromKey('models/model.tar.gz')).toBeUndefined();
    expect(endpointNameFromKey('uploads/recommender/model.tar.gz')).toBeUndefined();
  });
});

describe('InvalidInput before any S3 object is read', () => {
  it.each([
    [[1, 2, 3], 'an array'],
    ['text', 'a string'],
    [null, 'null'],
    [42, 'a number'],
  ])('refuses an execution input that is not a JSON object (%j)', async (input, type) => {
    await expect(run(input)).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining(`must be a JSON object`) });
    await expect(run(input)).rejects.toThrow(new RegExp(`not ${type}$`));
    expect(s3Mock).not.toHaveReceivedCommand(HeadObjectCommand);
  });

  it('refuses an input larger than MAX_INPUT_BYTES, which the run could not carry to Finalize, before reading S3', async () => {
    const padded = (bytes: number) => ({ modelDataUrl: MODEL_DATA_URL, description: 'x'.repeat(bytes - JSON.stringify({ modelDataUrl: MODEL_DATA_URL, description: '' }).length) });
    expect(Buffer.byteLength(JSON.stringify(padded(MAX_INPUT_BYTES + 1)))).toBe(MAX_INPUT_BYTES + 1);
    const error = await run(padded(MAX_INPUT_BYTES + 1)).catch((e) => e);
    expect(error).toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(/^Invalid execution input: \(input\): 64\.0 KiB is more than the 64 KiB/) });
    expect(s3Mock.calls()).toHaveLength(0);
    // At the limit the size is no reason: what fails is the schema (no such field), not the size.
    const atLimit = await run(padded(MAX_INPUT_BYTES)).catch((e) => e);
    expect(atLimit.message).not.toMatch(/KiB/);
  });

  it('names every bad field of the input at once, unknown fields included', async () => {
    const error = await run({ modelDataUrl: 'https://example.com/model.tar.gz', instanceCount: 0, instancetype: 'ml.m5.large' }).catch((e) => e);
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toMatch(/modelDataUrl: must be an S3 URI/);
    expect(error.message).toMatch(/instanceCount:/);
    expect(error.message).toMatch(/instancetype/);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('refuses an instance type SageMaker does not have, naming the nearest one, before reading S3', async () => {
    const error = await run({ modelDataUrl: MODEL_DATA_URL, instanceType: 'ml.m5.larg' }).catch((e) => e);
    expect(error).toMatchObject({ name: 'InvalidInput', message: expect.stringContaining("instanceType: 'ml.m5.larg' is not a SageMaker hosting instance type (did you mean ml.m5.large?)") });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('reports every problem of the resolved deployment at once', async () => {
    setTestEnvironment({ DEPLOYMENT_DEFAULTS: '{}' });
    const error = await run({
      modelDataUrl: MODEL_DATA_URL,
      smokeTests: [
        smokeTest,
        { ...smokeTest, payloadUri: 's3://someone-elses-bucket/p.json' },
        { ...smokeTest, name: 'vs-self', baseline: { endpointName: 'recommender' } },
      ],
    }).catch((e) => e);
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toContain('image: not set');
    expect(error.message).toContain("smokeTests[1].payloadUri: s3://someone-elses-bucket/p.json is outside the pipeline's buckets (aep-models, aep-artifacts)");
    expect(error.message).toContain('smokeTests[1].name: "shoes-top5" is also the name of smokeTests[0]');
    expect(error.message).toContain('smokeTests[2].baseline.endpointName: "recommender" is the endpoint being deployed');
    expect(s3Mock).not.toHaveReceivedCommand(HeadObjectCommand);
  });

  describe('a baseline from a reference endpoint', () => {
    const withBaselineEndpoint = (endpointName: string) => ({
      modelDataUrl: MODEL_DATA_URL,
      smokeTests: [{ ...smokeTest, baseline: { endpointName } }],
    });

    it('may name an endpoint of the configured reference endpoints (names and * patterns, any case)', async () => {
      setTestEnvironment({ REFERENCE_ENDPOINTS: JSON.stringify(['recsys-realtime', 'ref-*']) });
      await expect(run(withBaselineEndpoint('recsys-realtime'))).resolves.toMatchObject({ config: { endpointName: 'recommender' } });
      await expect(run(withBaselineEndpoint('Ref-Shoes'))).resolves.toMatchObject({ config: { endpointName: 'recommender' } });
    });

    it('is refused outside them, naming the field, the allowed patterns and the setting, before reading S3', async () => {
      setTestEnvironment({ REFERENCE_ENDPOINTS: JSON.stringify(['recsys-realtime', 'ref-*']) });
      const error = await run(withBaselineEndpoint('payments-fraud')).catch((e) => e);
      expect(error).toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining(
          `smokeTests[0].baseline.endpointName: "payments-fraud" is not one of the pipeline's reference endpoints (recsys-realtime, ref-*), the only ones its role may invoke (sagemaker:InvokeEndpoint); add it to the stack's referenceEndpoints`,
        ),
      });
      expect(s3Mock).not.toHaveReceivedCommand(HeadObjectCommand);
    });

    it("defaults to the endpoints of the pipeline's name prefix, as the stack's grant does", async () => {
      setTestEnvironment({ NAME_PREFIX: 'rec' });
      await expect(run(withBaselineEndpoint('rec-realtime'))).resolves.toMatchObject({ config: { endpointName: 'recommender' } });
      await expect(run(withBaselineEndpoint('other-realtime'))).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining("is not one of the pipeline's reference endpoints (rec*)"),
      });
    });
  });

  it('rejects an artifact outside the pipeline buckets without looking for deploy.json there', async () => {
    const error = await run({ modelDataUrl: 's3://other-bucket/models/recommender/model.tar.gz' }).catch((e) => e);
    expect(error).toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('modelDataUrl: s3://other-bucket/') });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('rejects an artifact in the artifacts bucket: SageMaker’s role may read models from the models bucket only', async () => {
    const error = await run({ modelDataUrl: 's3://aep-artifacts/models/recommender/model.tar.gz' }).catch((e) => e);
    expect(error).toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('modelDataUrl: s3://aep-artifacts/models/recommender/model.tar.gz is outside the models bucket (aep-models)') });
  });

  it('fails when no endpoint name is given or derivable', async () => {
    await expect(run({ modelDataUrl: 's3://aep-models/uploads/model.tar.gz' })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('endpointName: not set, and none can be derived'),
    });
  });

  it('fails when the derived endpoint name breaks SageMaker’s rules', async () => {
    await expect(run({ modelDataUrl: 's3://aep-models/models/my_model/model.tar.gz' })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('endpointName: "my_model" (derived from the folder after models/ in modelDataUrl) must be'),
    });
  });

  it('fails when the endpoint name leaves no room for the derived model/config names', async () => {
    await expect(run({ modelDataUrl: MODEL_DATA_URL, endpointName: 'a'.repeat(53) })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('is 53 characters; at most 52'),
    });
  });

  it('enforces the pipeline name prefix', async () => {
    setTestEnvironment({ NAME_PREFIX: 'aep-' });
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('must start with "aep-"'),
    });
  });
});

describe('deploy.json', () => {
  it('is InvalidInput naming deploy.json when it is not JSON', async () => {
    bucketWith({ deployJson: '{ "instanceType": ' });
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^deploy\.json \(s3:\/\/aep-models\/models\/recommender\/v2\/deploy\.json\) is not valid JSON: /),
    });
  });

  it('is InvalidInput naming deploy.json and the field when it breaks the schema', async () => {
    bucketWith({ deployJson: JSON.stringify({ instanceCount: 'two', instancetype: 'x' }) });
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/deploy\.json .* is invalid: .*instanceCount: .*instancetype/),
    });
  });
});

describe('S3 objects', () => {
  it('is ArtifactNotFound when the artifact does not exist', async () => {
    s3Mock.on(GetObjectCommand, { Key: ARTIFACT_KEY }).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).rejects.toMatchObject({
      name: 'ArtifactNotFound',
      message: expect.stringContaining(`Model artifact ${MODEL_DATA_URL} (modelDataUrl) does not exist`),
    });
  });

  it('is InvalidModelArtifact when the artifact is empty', async () => {
    // S3 answers a range on an empty object with 416
    s3Mock.on(GetObjectCommand, { Key: ARTIFACT_KEY }).rejects(awsError('InvalidRange', 'The requested range is not satisfiable', 416));
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).rejects.toMatchObject({ name: 'InvalidModelArtifact', message: expect.stringContaining('empty') });
  });

  it('is InvalidModelArtifact when the artifact is not gzip, showing the bytes found', async () => {
    bucketWith({ firstBytes: Buffer.from('PK') });
    await expect(run({ modelDataUrl: MODEL_DATA_URL })).rejects.toMatchObject({
      name: 'InvalidModelArtifact',
      message: expect.stringContaining('starts with 50 4b, not 1f 8b'),
    });
  });

  it.each([
    ['smokeTests[0].payloadUri', 'payloads/shoes.json'],
    ['smokeTests[0].baseline.uri', 'baselines/shoes.json'],
  ])('is InvalidInput naming %s when that object is missing', async (field, key) => {
    s3Mock.on(HeadObjectCommand, { Key: key }).rejects(notFound());
    await expect(run({ modelDataUrl: MODEL_DATA_URL, smokeTests: [smokeTest] })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `${field}: s3://aep-models/${key} does not exist; upload it or fix the URI`,
    });
  });

  it('is InvalidInput naming the field when the pipeline may not read an object', async () => {
    s3Mock.on(HeadObjectCommand, { Key: 'payloads/shoes.json' }).rejects(awsError('Forbidden', 'Forbidden', 403));
    await expect(run({ modelDataUrl: MODEL_DATA_URL, smokeTests: [smokeTest] })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('smokeTests[0].payloadUri: the pipeline may not read s3://aep-models/payloads/shoes.json'),
    });
  });
});
