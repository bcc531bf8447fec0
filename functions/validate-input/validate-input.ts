import * as z from 'zod';
import { describeIssues, deployFileSchema, executionInputSchema, type DeployFile } from '../lib/deployment-input';
import type { PipelineEnvironment } from '../lib/environment';
import { ArtifactNotFound, InvalidInput, InvalidModelArtifact } from '../lib/errors';
import { resourceNames } from '../lib/names';
import { checkOwnership } from '../lib/ownership';
import { describeEndpointOrUndefined } from '../lib/sagemaker-resources';
import type { ArtifactIdentity, ExecutionRef, PipelineState } from '../lib/pipeline-state';
import { headObject, MalformedJsonObject, readHeadAndFirstBytes, readJsonObject, type ObjectHead } from '../lib/s3-objects';
import { keyPrefix, parseS3Uri, toS3Uri } from '../lib/s3-uri';
import { resolveConfig, smokeTestObjects } from './resolve-config';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/**
 * The largest execution input taken, as JSON. Step Functions passes at most 256 KiB into a state, and Finalize's holds
 * the input as well as the run's state (the resolved config, the smoke results): an input that fit StartExecution but
 * not that would fail a deployment after it went live (States.DataLimitExceeded). Real inputs are a few KiB; data
 * belongs in S3 (payloadUri, baseline.uri).
 */
export const MAX_INPUT_BYTES = 64 * 1024;

/** What the ASL passes ValidateInput: the raw execution input and the context object's execution fields. */
export const validateInputEventSchema = z.object({
  state: z.unknown(),
  execution: z.object({ id: z.string().min(1), name: z.string().min(1), startTime: z.string() }),
});
export type ValidateInputEvent = z.infer<typeof validateInputEventSchema>;

/**
 * Everything is checked before anything is created, so bad input fails fast and leaves nothing behind:
 * the schema and name rules (all problems at once), then the S3 objects (the first missing one).
 */
export async function validateInput(
  state: unknown,
  execution: ExecutionRef,
  env: PipelineEnvironment,
): Promise<PipelineState> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new InvalidInput(
      `Invalid execution input: (input): must be a JSON object such as {"modelDataUrl": "s3://…/model.tar.gz"}, not ${jsonType(state)}`,
    );
  }
  const inputBytes = Buffer.byteLength(JSON.stringify(state));
  if (inputBytes > MAX_INPUT_BYTES) {
    throw new InvalidInput(
      `Invalid execution input: (input): ${(inputBytes / 1024).toFixed(1)} KiB is more than the ${MAX_INPUT_BYTES / 1024} KiB ` +
        `a deployment takes (the run carries it between states, which Step Functions caps at 256 KiB); put smoke payloads ` +
        `and baselines in S3 and name them (payloadUri, baseline.uri)`,
    );
  }
  const parsed = executionInputSchema.safeParse(state);
  if (!parsed.success) throw new InvalidInput(`Invalid execution input: ${describeIssues(parsed.error)}`);
  const input = parsed.data;
  const allowedBuckets = [env.modelsBucket, env.artifactsBucket];
  const artifactLocation = parseS3Uri(input.modelDataUrl)!; // the schema checked its shape

  // deploy.json is only looked for in the pipeline's own buckets; a foreign bucket is reported by resolveConfig
  const deployFile = allowedBuckets.includes(artifactLocation.bucket)
    ? await readDeployFile(toS3Uri({ bucket: artifactLocation.bucket, key: `${keyPrefix(artifactLocation.key)}deploy.json` }))
    : undefined;

  const resolution = resolveConfig({
    input,
    deployFile,
    defaults: env.defaults,
    modelsBucket: env.modelsBucket,
    allowedBuckets,
    namePrefix: env.namePrefix,
    referenceEndpoints: env.referenceEndpoints,
    executionArn: execution.id,
  });
  if (!resolution.config) throw new InvalidInput(`Invalid deployment: ${resolution.problems.join('; ')}`);
  const config = resolution.config;

  const artifact = await checkArtifact(config.modelDataUrl);
  await checkObjectsExist(smokeTestObjects(config.smokeTests));
  await checkEndpointOwned(config.endpointName, config.adopt, env.pipelineId);
  return { execution, config, names: resourceNames(config.endpointName, execution.id), artifact };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** An existing endpoint that is not ours fails the run here, before the lock is taken or anything created. */
async function checkEndpointOwned(endpointName: string, adopt: boolean, pipelineId: string): Promise<void> {
  const endpoint = await describeEndpointOrUndefined(endpointName);
  if (endpoint) await checkOwnership({ endpoint, pipelineId, adopt });
}

async function readDeployFile(uri: string): Promise<DeployFile | undefined> {
  let raw: unknown;
  try {
    raw = await readS3(uri, 'deploy.json', () => readJsonObject(uri));
  } catch (error) {
    if (error instanceof MalformedJsonObject) {
      throw new InvalidInput(`deploy.json (${uri}) is not valid JSON: ${error.reason}; fix or delete it`);
    }
    throw error;
  }
  if (raw === undefined) return undefined;
  const parsed = deployFileSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInput(`deploy.json (${uri}) is invalid: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

async function checkArtifact(uri: string): Promise<ArtifactIdentity> {
  // One ranged GET: the artifact's identity and size, and its first bytes (gzip's magic number).
  const object = await readS3(uri, 'modelDataUrl', () => readHeadAndFirstBytes(uri, GZIP_MAGIC.length));
  if (!object) {
    throw new ArtifactNotFound(`Model artifact ${uri} (modelDataUrl) does not exist; upload model.tar.gz there or fix modelDataUrl`);
  }
  const { head, bytes: magic } = object;
  if (head.sizeBytes === 0) {
    throw new InvalidModelArtifact(`Model artifact ${uri} (modelDataUrl) is empty (0 bytes); upload a gzip-compressed tar (tar -czf model.tar.gz …)`);
  }
  if (!magic.equals(GZIP_MAGIC)) {
    throw new InvalidModelArtifact(
      `Model artifact ${uri} (modelDataUrl) is not gzip-compressed: it starts with ${hex(magic)}, not ${hex(GZIP_MAGIC)}. ` +
        'SageMaker needs model.tar.gz to be a gzip-compressed tar: create it with tar -czf model.tar.gz -C <model dir> .',
    );
  }
  return identity(head);
}

/** Checked in parallel; the first missing one in input order is reported. */
async function checkObjectsExist(objects: { field: string; uri: string }[]): Promise<void> {
  const heads = await Promise.all(objects.map(({ field, uri }) => readS3(uri, field, () => headObject(uri))));
  const missing = objects.find((_, i) => heads[i] === undefined);
  if (missing) throw new InvalidInput(`${missing.field}: ${missing.uri} does not exist; upload it or fix the URI`);
}

/** An S3 read whose refusal (403) becomes InvalidInput naming the field: most often a bucket policy or KMS key. */
async function readS3<T>(uri: string, field: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 403 || (error instanceof Error && error.name === 'AccessDenied')) {
      throw new InvalidInput(
        `${field}: the pipeline may not read ${uri} (access denied); check the bucket policy and, if the object is ` +
          'encrypted with a customer KMS key, that the pipeline may use that key',
      );
    }
    throw error;
  }
}

function identity(head: ObjectHead): ArtifactIdentity {
  return {
    uri: head.uri,
    bucket: head.bucket,
    key: head.key,
    etag: head.etag.replace(/^"|"$/g, ''),
    ...(head.versionId ? { versionId: head.versionId } : {}),
    sizeBytes: head.sizeBytes,
    ...(head.lastModified ? { lastModified: head.lastModified } : {}),
  };
}

function hex(bytes: Buffer): string {
  return bytes.length === 0 ? '(nothing)' : [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
