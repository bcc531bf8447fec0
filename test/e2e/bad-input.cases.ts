import fc from 'fast-check';
import { SAGEMAKER_NAME } from '../../functions/lib/deployment-input';
import { ENDPOINT_NAME_MAX } from '../../functions/lib/names';

/**
 * Malformed execution inputs for the bad-input suite: each corruption breaks exactly one thing in a valid input and
 * says which error ValidateInput must fail with and which field its message must name.
 */

export const BAD_INPUT_ENDPOINT = 'bad-input';
export const MODELS_BUCKET = 'aep-models';
// Not named model.tar.gz: uploading that under models/ would start the pipeline (the S3 trigger).
export const ARTIFACT_KEY = `models/${BAD_INPUT_ENDPOINT}/v1/artifact.tar.gz`;
export const PAYLOAD_KEY = `${BAD_INPUT_ENDPOINT}/payload.json`;
export const BASELINE_KEY = `${BAD_INPUT_ENDPOINT}/baseline.json`;
/** Artifacts uploaded by the suite that exist but are not gzip: (key, bytes). */
export const NOT_GZIP_ARTIFACTS: Record<string, Buffer> = {
  [`models/not-gzip/text/artifact.tar.gz`]: Buffer.from('this is a model, honest\n'),
  [`models/not-gzip/zip/artifact.tar.gz`]: Buffer.from('PK\u0003\u0004rest-of-a-zip'),
  [`models/not-gzip/tar/artifact.tar.gz`]: Buffer.concat([Buffer.from('model.pt'), Buffer.alloc(504)]),
  [`models/not-gzip/half-magic/artifact.tar.gz`]: Buffer.from([0x1f]),
  [`models/not-gzip/empty/artifact.tar.gz`]: Buffer.alloc(0),
};

export type ExpectedError = 'InvalidInput' | 'ArtifactNotFound' | 'InvalidModelArtifact';
export type Input = Record<string, unknown>;

export interface BadInput {
  /** What is wrong, for the failure message of a test. */
  label: string;
  input: unknown;
  error: ExpectedError;
  /** Text the cause must contain: the field's path (`smokeTests[0].payloadUri`) or the unknown key, quoted. */
  field: string;
}

/** A valid input: ValidateInput accepts it (the suite checks that first). */
export function validInput(): Input {
  return {
    modelDataUrl: `s3://${MODELS_BUCKET}/${ARTIFACT_KEY}`,
    endpointName: BAD_INPUT_ENDPOINT,
    image: 'local/echo:latest',
    instanceCount: 1,
    async: { maxConcurrentInvocationsPerInstance: 2, invocationTimeoutSeconds: 60 },
    smokeTests: [
      {
        name: 'echo',
        payloadUri: `s3://${MODELS_BUCKET}/${PAYLOAD_KEY}`,
        baseline: { uri: `s3://${MODELS_BUCKET}/${BASELINE_KEY}` },
        compare: { mode: 'exact' },
      },
    ],
    poll: { endpointSeconds: 5, outputSeconds: 2 },
  };
}

type Corruption = { label: string; error: ExpectedError; field: string; apply: (input: Input) => unknown };

const smokeCase = (input: Input) => (input.smokeTests as Input[])[0];
const alnum = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const KNOWN_KEYS = new Set(Object.keys({ ...validInput(), instanceType: 0, environment: 0, timeouts: 0, onFailure: 0, retainPrevious: 0, autoscaling: 0 }));
const ALLOWED_BUCKETS = new Set([MODELS_BUCKET, 'aep-artifacts']);

/** A key that is not a field anywhere (schema objects are strict). Set with defineProperty so `__proto__` is a key too. */
const unknownKey = fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !KNOWN_KEYS.has(k) && !['name', 'payloadUri', 'baseline', 'compare', 'contentType', 'accept', 'mode', 'path', 'k', 'minOverlap', 'absTol', 'relTol', 'uri', 'endpointName', 'maxConcurrentInvocationsPerInstance', 'invocationTimeoutSeconds', 'outputSeconds', 'lockSeconds', 'endpointSeconds'].includes(k));
const setKey = (target: Input, key: string, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

/** Any JSON value that is not a finite integer in [min, max]. */
const notIntegerIn = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ max: min - 1 }),
    fc.integer({ min: max + 1 }),
    fc.double({ min, max, noNaN: true }).filter((n) => !Number.isInteger(n)),
    fc.string({ maxLength: 5 }),
    fc.boolean(),
    fc.constant(null),
  );

const bucketName = fc
  .string({ unit: fc.constantFrom(...alnum, '-'), minLength: 3, maxLength: 40 })
  .filter((b) => /^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(b) && !ALLOWED_BUCKETS.has(b));
const keySegment = fc.string({ unit: fc.constantFrom(...alnum, '-', '_', '.'), minLength: 1, maxLength: 20 }).filter((s) => s !== '.' && s !== '..');

function corruption(label: string, error: ExpectedError, field: string, apply: (input: Input) => unknown): Corruption {
  return { label, error, field, apply };
}

/** Corruptions caught by the schema (zod): several at once are all reported. */
const schemaCorruptions: fc.Arbitrary<Corruption>[] = [
  fc
    .string({ minLength: 1, maxLength: 40 })
    .filter((s) => !SAGEMAKER_NAME.test(s))
    .map((name) => corruption(`endpointName ${JSON.stringify(name)} has invalid characters`, 'InvalidInput', 'endpointName', (i) => (i.endpointName = name))),
  fc
    .string({ unit: fc.constantFrom(...alnum), minLength: 64, maxLength: 300 })
    .map((name) => corruption(`endpointName of ${name.length} characters`, 'InvalidInput', 'endpointName', (i) => (i.endpointName = name))),
  notIntegerIn(1, 100).map((v) => corruption(`instanceCount ${JSON.stringify(v)}`, 'InvalidInput', 'instanceCount', (i) => (i.instanceCount = v))),
  notIntegerIn(1, 3600).map((v) =>
    corruption(`async.invocationTimeoutSeconds ${JSON.stringify(v)}`, 'InvalidInput', 'async.invocationTimeoutSeconds', (i) => {
      (i.async as Input).invocationTimeoutSeconds = v;
    }),
  ),
  notIntegerIn(1, 1000).map((v) =>
    corruption(`async.maxConcurrentInvocationsPerInstance ${JSON.stringify(v)}`, 'InvalidInput', 'async.maxConcurrentInvocationsPerInstance', (i) => {
      (i.async as Input).maxConcurrentInvocationsPerInstance = v;
    }),
  ),
  fc
    .tuple(fc.constantFrom('endpointSeconds', 'outputSeconds'), notIntegerIn(1, 3600))
    .map(([field, v]) => corruption(`poll.${field} ${JSON.stringify(v)}`, 'InvalidInput', `poll.${field}`, (i) => ((i.poll as Input)[field] = v))),
  fc
    .tuple(fc.constantFrom('endpointSeconds', 'outputSeconds'), fc.integer({ min: 6 * 3600 + 1 }))
    .map(([field, v]) => corruption(`timeouts.${field} ${v}`, 'InvalidInput', `timeouts.${field}`, (i) => (i.timeouts = { ...(i.timeouts as Input | undefined), [field]: v }))),
  unknownKey.map((key) => corruption(`unknown field ${JSON.stringify(key)}`, 'InvalidInput', `"${key}"`, (i) => setKey(i, key, 1))),
  fc
    .tuple(fc.constantFrom('async', 'poll'), unknownKey)
    .map(([parent, key]) =>
      corruption(`unknown field ${parent}.${JSON.stringify(key)}`, 'InvalidInput', `"${key}"`, (i) => setKey(i[parent] as Input, key, 1)),
    ),
  unknownKey.map((key) =>
    corruption(`unknown field smokeTests[0].${JSON.stringify(key)}`, 'InvalidInput', `"${key}"`, (i) => setKey(smokeCase(i), key, 'x')),
  ),
  fc
    .string({ maxLength: 60 })
    .filter((s) => !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/.test(s))
    .map((uri) => corruption(`modelDataUrl ${JSON.stringify(uri)} is not an S3 URI`, 'InvalidInput', 'modelDataUrl', (i) => (i.modelDataUrl = uri))),
  fc.constant(corruption('modelDataUrl missing', 'InvalidInput', 'modelDataUrl', (i) => delete i.modelDataUrl)),
  fc
    .string({ maxLength: 30 })
    .filter((s) => !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(s))
    .map((t) => corruption(`instanceType ${JSON.stringify(t)}`, 'InvalidInput', 'instanceType', (i) => (i.instanceType = t))),
  fc
    .string({ maxLength: 12 })
    .filter((s) => s !== 'rollback' && s !== 'keep')
    .map((v) => corruption(`onFailure ${JSON.stringify(v)}`, 'InvalidInput', 'onFailure', (i) => (i.onFailure = v))),
  fc
    .oneof(fc.constant(''), fc.string({ minLength: 256, maxLength: 400 }), fc.integer(), fc.constant(null))
    .map((v) => corruption(`image ${JSON.stringify(v).slice(0, 20)}`, 'InvalidInput', 'image', (i) => (i.image = v))),
  fc
    .string({ minLength: 1, maxLength: 20 })
    .filter((k) => !/^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$/.test(k) && k !== '__proto__')
    .map((k) => corruption(`environment name ${JSON.stringify(k)}`, 'InvalidInput', 'environment', (i) => (i.environment = { [k]: 'x' }))),
  fc
    .oneof(
      fc.integer({ max: 0 }).map((k) => ({ mode: 'topk', path: '$.ids', k, minOverlap: 0.5 })),
      fc.double({ min: 1.0001, max: 100, noNaN: true }).map((m) => ({ mode: 'topk', path: '$.ids', k: 5, minOverlap: m })),
      fc.string({ maxLength: 8 }).filter((m) => !['exact', 'numeric', 'topk'].includes(m)).map((mode) => ({ mode })),
    )
    .map((compare) =>
      corruption(`compare ${JSON.stringify(compare)}`, 'InvalidInput', 'smokeTests[0].compare', (i) => (smokeCase(i).compare = compare)),
    ),
  fc
    .string({ maxLength: 80 })
    .filter((n) => !/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/.test(n))
    .map((n) => corruption(`smoke case name ${JSON.stringify(n)}`, 'InvalidInput', 'smokeTests[0].name', (i) => (smokeCase(i).name = n))),
  fc
    .oneof(fc.integer(), fc.string(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }))
    .map((v) => corruption(`smokeTests ${JSON.stringify(v).slice(0, 30)}`, 'InvalidInput', 'smokeTests', (i) => (i.smokeTests = v))),
  fc
    .tuple(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 21, max: 100 }))
    .map(([min, max]) =>
      corruption(`autoscaling min ${max} > max ${min}`, 'InvalidInput', 'autoscaling', (i) => (i.autoscaling = { minCapacity: max, maxCapacity: min })),
    ),
];

/** Corruptions only the layered configuration check (resolveConfig) can see. */
const configCorruptions: fc.Arbitrary<Corruption>[] = [
  fc
    .string({ unit: fc.constantFrom(...alnum), minLength: ENDPOINT_NAME_MAX + 1, maxLength: 63 })
    .map((name) =>
      corruption(`endpointName of ${name.length} characters (derived names too long)`, 'InvalidInput', 'endpointName', (i) => (i.endpointName = name)),
    ),
  fc
    .tuple(bucketName, keySegment)
    .map(([bucket, key]) =>
      corruption(`modelDataUrl in foreign bucket ${bucket}`, 'InvalidInput', 'modelDataUrl', (i) => (i.modelDataUrl = `s3://${bucket}/models/${key}/model.tar.gz`)),
    ),
  fc
    .tuple(bucketName, keySegment, fc.constantFrom('payloadUri', 'baseline.uri'))
    .map(([bucket, key, field]) =>
      corruption(`smokeTests[0].${field} in foreign bucket ${bucket}`, 'InvalidInput', `smokeTests[0].${field}`, (i) => {
        if (field === 'payloadUri') smokeCase(i).payloadUri = `s3://${bucket}/${key}`;
        else smokeCase(i).baseline = { uri: `s3://${bucket}/${key}` };
      }),
    ),
  fc
    .string({ minLength: 1, maxLength: 30 })
    .filter((s) => !/[/\n\r\u2028\u2029]/.test(s) && !SAGEMAKER_NAME.test(s))
    .map((folder) =>
      corruption(`endpoint name derived from folder ${JSON.stringify(folder)}`, 'InvalidInput', 'endpointName', (i) => {
        delete i.endpointName;
        i.modelDataUrl = `s3://${MODELS_BUCKET}/models/${folder}/model.tar.gz`;
      }),
    ),
  keySegment.map((key) =>
    corruption(`no endpointName and no models/ folder (${key})`, 'InvalidInput', 'endpointName', (i) => {
      delete i.endpointName;
      i.modelDataUrl = `s3://${MODELS_BUCKET}/uploads/${key}/model.tar.gz`;
    }),
  ),
  fc.constant(corruption('no image anywhere', 'InvalidInput', 'image', (i) => delete i.image)),
  fc.constant(
    corruption('duplicate smoke case names', 'InvalidInput', 'smokeTests[1].name', (i) => {
      i.smokeTests = [smokeCase(i), { ...smokeCase(i) }];
    }),
  ),
  fc.constant(
    corruption('baseline is the endpoint being deployed', 'InvalidInput', 'smokeTests[0].baseline.endpointName', (i) => {
      smokeCase(i).baseline = { endpointName: BAD_INPUT_ENDPOINT };
    }),
  ),
];

/** Corruptions only the S3 checks can see: the input is well formed, the objects are not. */
const objectCorruptions: fc.Arbitrary<Corruption>[] = [
  fc
    .array(keySegment, { minLength: 1, maxLength: 3 })
    .map((segments) =>
      corruption(`missing artifact under ${segments.join('/')}`, 'ArtifactNotFound', 'modelDataUrl', (i) => {
        i.modelDataUrl = `s3://${MODELS_BUCKET}/models/${BAD_INPUT_ENDPOINT}/missing/${segments.join('/')}/model.tar.gz`;
      }),
    ),
  fc.constantFrom(...Object.keys(NOT_GZIP_ARTIFACTS)).map((key) =>
    corruption(`artifact ${key} is not gzip`, 'InvalidModelArtifact', 'modelDataUrl', (i) => (i.modelDataUrl = `s3://${MODELS_BUCKET}/${key}`)),
  ),
  fc
    .tuple(keySegment, fc.constantFrom('payloadUri', 'baseline.uri'))
    .map(([key, field]) =>
      corruption(`smokeTests[0].${field} does not exist`, 'InvalidInput', `smokeTests[0].${field}`, (i) => {
        const uri = `s3://${MODELS_BUCKET}/${BAD_INPUT_ENDPOINT}/missing/${key}`;
        if (field === 'payloadUri') smokeCase(i).payloadUri = uri;
        else smokeCase(i).baseline = { uri };
      }),
    ),
];

const notAnObject = fc
  .oneof(fc.array(fc.integer(), { maxLength: 3 }), fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null))
  .map((value): BadInput => ({ label: `input ${JSON.stringify(value)}`, input: value, error: 'InvalidInput', field: '(input)' }));

function applied(corruptions: Corruption[]): BadInput[] {
  const input = validInput();
  for (const c of corruptions) c.apply(input);
  return corruptions.map((c) => ({ label: c.label, input, error: c.error, field: c.field }));
}

/**
 * One malformed input with every expectation it carries: a single corruption of any kind, two schema corruptions of
 * different fields at once (both must be named), or not an object at all.
 */
export const badInput: fc.Arbitrary<BadInput[]> = fc.oneof(
  { arbitrary: fc.oneof(...schemaCorruptions, ...configCorruptions).map((c) => applied([c])), weight: 5 },
  // Weighted on their own: among forty-odd schema corruptions the three S3 ones came up ~2% of the time each, so a
  // 240-run test missed ArtifactNotFound altogether about once in 250 runs.
  { arbitrary: fc.oneof(...objectCorruptions).map((c) => applied([c])), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.oneof(...schemaCorruptions), fc.oneof(...schemaCorruptions))
      .filter(([a, b]) => a.field !== b.field && !a.field.startsWith(b.field) && !b.field.startsWith(a.field) && a.field !== 'smokeTests' && b.field !== 'smokeTests')
      .map(applied),
    weight: 2,
  },
  { arbitrary: notAnObject.map((b) => [b]), weight: 1 },
);
