import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { functionArn } from '../../local/pipeline-resources';
import { invokeWithValue, LambdaFunctionError, stepFunction } from '../../local/lambda/step-function';
import { startTestAws, type TestAws } from '../helpers/embedded';
import { expectNoSageMakerResources } from '../helpers/scenario';
import {
  ARTIFACT_KEY,
  BASELINE_KEY,
  badInput,
  MODELS_BUCKET,
  NOT_GZIP_ARTIFACTS,
  PAYLOAD_KEY,
  validInput,
  type BadInput,
} from './bad-input.cases';

/**
 * Bad input fails fast, names the field, and leaves nothing behind. Hundreds of generated inputs go through the
 * ValidateInput Lambda in this process (JSON boundary and error shape as Step Functions sees them) against the real
 * embedded S3; test/e2e/bad-input-pipeline.test.ts runs the named cases through the whole state machine.
 */

const GENERATED_RUNS = 240;

let t: TestAws;
let runs = 0;
const validateInput = stepFunction(functionArn('us-east-1', 'aep-validate-input'));

beforeAll(async () => {
  t = await startTestAws();
  const objects: Record<string, Buffer> = {
    [ARTIFACT_KEY]: gzipSync(Buffer.from('not really a tar, but ValidateInput only reads the gzip header')),
    [PAYLOAD_KEY]: Buffer.from('{"x":1}'),
    [BASELINE_KEY]: Buffer.from('{"x":1}'),
    ...NOT_GZIP_ARTIFACTS,
  };
  for (const [Key, Body] of Object.entries(objects)) {
    await t.clients.s3.send(new PutObjectCommand({ Bucket: MODELS_BUCKET, Key, Body }));
  }
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

/** Calls the ValidateInput function as the state machine does; resolves with its failure, or undefined on success. */
async function failureOf(input: unknown): Promise<LambdaFunctionError | undefined> {
  runs += 1;
  const name = `bad-input-${runs}`;
  const event = {
    state: input,
    execution: { id: `${t.aws.names.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, name, startTime: new Date().toISOString() },
  };
  try {
    await invokeWithValue(validateInput, event);
    return undefined;
  } catch (error) {
    if (error instanceof LambdaFunctionError) return error;
    throw error;
  }
}

test('the valid input the generator corrupts passes ValidateInput (so each failure below is the corruption’s)', async () => {
  expect(await failureOf(validInput())).toBeUndefined();
});

test(`${GENERATED_RUNS} generated malformed inputs each fail with InvalidInput, ArtifactNotFound or InvalidModelArtifact naming the field`, async () => {
  const seen = { inputs: 0, byError: new Map<string, number>() };
  await fc.assert(
    fc.asyncProperty(badInput, async (expectations: BadInput[]) => {
      seen.inputs += 1;
      const failure = await failureOf(expectations[0].input);
      for (const expected of expectations) {
        // One object per expectation, so a counterexample prints what was wrong, what failed and why.
        expect({ label: expected.label, error: failure?.errorType, namesField: failure?.errorMessage.includes(expected.field) }).toEqual({
          label: expected.label,
          error: expected.error,
          namesField: true,
        });
        seen.byError.set(expected.error, (seen.byError.get(expected.error) ?? 0) + 1);
      }
    }),
    { numRuns: GENERATED_RUNS },
  );
  expect(seen.inputs).toBeGreaterThanOrEqual(200);
  // Every kind of failure was exercised, not just schema errors.
  expect([...seen.byError.keys()].sort()).toEqual(['ArtifactNotFound', 'InvalidInput', 'InvalidModelArtifact']);
}, 120_000);

test('after all of them nothing exists: no SageMaker resource, no object in the artifacts bucket, no execution', async () => {
  await expectNoSageMakerResources(t.clients.sagemaker);
  const artifacts = await t.clients.s3.send(new ListObjectsV2Command({ Bucket: t.aws.names.artifactsBucket }));
  expect(artifacts.KeyCount).toBe(0);
  expect(t.aws.services.stepFunctions.listExecutionRecords()).toEqual([]);
});
