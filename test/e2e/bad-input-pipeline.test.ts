import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startTestAws, type TestAws } from '../helpers/embedded';
import { expectEnding, expectNoSageMakerResources, runDeployment, statesEntered } from '../helpers/scenario';
import { ARTIFACT_KEY, BAD_INPUT_ENDPOINT, BASELINE_KEY, MODELS_BUCKET, NOT_GZIP_ARTIFACTS, PAYLOAD_KEY, validInput, type Input } from './bad-input.cases';

/**
 * The named bad inputs, each through the whole state machine as a user would start it: the execution fails in
 * ValidateInput with the error naming the field, goes straight to RecordFailure (audit record, DeploymentFailed
 * event), and no SageMaker resource ever exists.
 */

let t: TestAws;

beforeAll(async () => {
  t = await startTestAws();
  const objects: Record<string, Buffer> = {
    [ARTIFACT_KEY]: gzipSync(Buffer.from('artifact')),
    [PAYLOAD_KEY]: Buffer.from('{"x":1}'),
    [BASELINE_KEY]: Buffer.from('{"x":1}'),
    ...NOT_GZIP_ARTIFACTS,
  };
  for (const [Key, Body] of Object.entries(objects)) await t.clients.s3.send(new PutObjectCommand({ Bucket: MODELS_BUCKET, Key, Body }));
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

const with_ = (change: (input: Input) => void): Input => {
  const input = validInput();
  change(input);
  return input;
};

const NAMED_CASES: { name: string; input: Input; error: string; field: string; recordedUnder: string | undefined }[] = [
  {
    name: 'artifact-not-gzip',
    input: with_((i) => (i.modelDataUrl = `s3://${MODELS_BUCKET}/${Object.keys(NOT_GZIP_ARTIFACTS)[0]}`)),
    error: 'InvalidModelArtifact',
    field: 'modelDataUrl',
    recordedUnder: BAD_INPUT_ENDPOINT,
  },
  {
    name: 'artifact-missing',
    input: with_((i) => (i.modelDataUrl = `s3://${MODELS_BUCKET}/models/${BAD_INPUT_ENDPOINT}/v9/model.tar.gz`)),
    error: 'ArtifactNotFound',
    field: 'modelDataUrl',
    recordedUnder: BAD_INPUT_ENDPOINT,
  },
  {
    name: 'endpoint-name-too-long',
    input: with_((i) => (i.endpointName = 'e'.repeat(64))),
    error: 'InvalidInput',
    field: 'endpointName',
    recordedUnder: undefined,
  },
  {
    name: 'endpoint-name-too-long-for-derived-names',
    input: with_((i) => (i.endpointName = 'e'.repeat(60))),
    error: 'InvalidInput',
    field: 'endpointName',
    recordedUnder: 'e'.repeat(60),
  },
  {
    name: 'endpoint-name-invalid-characters',
    input: with_((i) => (i.endpointName = 'my_model!v2')),
    error: 'InvalidInput',
    field: 'endpointName',
    recordedUnder: undefined,
  },
  { name: 'instance-count-0', input: with_((i) => (i.instanceCount = 0)), error: 'InvalidInput', field: 'instanceCount', recordedUnder: BAD_INPUT_ENDPOINT },
  {
    name: 'invocation-timeout-3601',
    input: with_((i) => ((i.async as Input).invocationTimeoutSeconds = 3601)),
    error: 'InvalidInput',
    field: 'async.invocationTimeoutSeconds',
    recordedUnder: BAD_INPUT_ENDPOINT,
  },
  {
    name: 'unknown-field',
    input: with_((i) => (i.instancetype = 'ml.m5.xlarge')),
    error: 'InvalidInput',
    field: '"instancetype"',
    recordedUnder: BAD_INPUT_ENDPOINT,
  },
  {
    name: 'artifact-outside-the-buckets',
    input: with_((i) => (i.modelDataUrl = 's3://someone-elses-bucket/models/x/model.tar.gz')),
    error: 'InvalidInput',
    field: 'modelDataUrl',
    recordedUnder: BAD_INPUT_ENDPOINT,
  },
  {
    name: 'payload-outside-the-buckets',
    input: with_((i) => ((i.smokeTests as Input[])[0].payloadUri = 's3://someone-elses-bucket/payload.json')),
    error: 'InvalidInput',
    field: 'smokeTests[0].payloadUri',
    recordedUnder: BAD_INPUT_ENDPOINT,
  },
];

test.each(NAMED_CASES.map((c) => [c.name, c] as const))('%s: FAILED in ValidateInput, recorded, nothing created', async (_name, c) => {
  const run = await runDeployment(t, c.name, c.input);
  await expectEnding(t, run, { endpointName: c.recordedUnder, status: 'FAILED', error: c.error, cause: new RegExp(escape(c.field)) });
  // Straight from ValidateInput to the failure record: no lock taken, nothing created or rolled back.
  expect(statesEntered(run.history)).toEqual(['ValidateInput', 'InputRejected', 'RecordFailure', 'Fail']);
  await expectNoSageMakerResources(t.clients.sagemaker);
});

/** Valid JSON that is not an object: a Catch cannot add $.error to it, so InputRejected rebuilds the state. */
const NOT_OBJECTS: [string, unknown][] = [
  ['array', [1, 2, 3]],
  ['string', 'text'],
  ['null', null],
  ['number', 42],
];

test.each(NOT_OBJECTS)('input that is not an object (%s): InvalidInput, audit record under _invalid, event, nothing created', async (label, input) => {
  const run = await runDeployment(t, `not-an-object-${label}`, input);
  await expectEnding(t, run, { endpointName: undefined, status: 'FAILED', error: 'InvalidInput', cause: /must be a JSON object/ });
  expect(statesEntered(run.history)).toEqual(['ValidateInput', 'InputRejected', 'RecordFailure', 'Fail']);
});

test('an input over 256 KiB: StartExecution refuses it (ValidationException), no execution exists', async () => {
  const input = JSON.stringify(with_((i) => (i.environment = { BULK: 'b'.repeat(262_144) })));
  expect(Buffer.byteLength(input)).toBeGreaterThan(262_144);
  const refused = await t.clients.sfn
    .send(new StartExecutionCommand({ stateMachineArn: t.aws.names.stateMachineArn, name: 'input-too-large', input }))
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(refused).toBeInstanceOf(SFNServiceException);
  expect((refused as SFNServiceException).name).toBe('ValidationException');
  expect((refused as SFNServiceException).message).toMatch(/'input'.*262144/);
  expect(t.aws.services.stepFunctions.listExecutionRecords().map((r) => r.name)).not.toContain('input-too-large');
});

test('no lock was ever taken: the artifacts bucket holds only audit records', async () => {
  const listed = await t.clients.s3.send(new ListObjectsV2Command({ Bucket: t.aws.names.artifactsBucket }));
  expect((listed.Contents ?? []).map((c) => c.Key!).filter((key) => !key.startsWith('audit/'))).toEqual([]);
  expect(listed.KeyCount).toBe(NAMED_CASES.length + NOT_OBJECTS.length);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
