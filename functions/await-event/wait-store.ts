import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { s3 } from '../lib/clients';
import { readEnvironment } from '../lib/environment';
import { WAITS_PREFIX } from '../lib/event-waits';
import { awsErrorName } from '../lib/errors';
import { readTextObject } from '../lib/s3-objects';

/**
 * A waiting callback Task: its token and the state the check needs, stored in the artifacts bucket under a key the
 * event names — `waits/endpoints/<endpoint>/<execution>.json` (an endpoint state change names the endpoint) or
 * `waits/outputs/<inferenceId>.json` (an async notification names the inference).
 */
const waitRecordSchema = z.object({
  taskToken: z.string().min(1),
  wait: z.enum(['endpoint', 'output']),
  state: z.unknown(),
  registeredAt: z.string(),
});
export type WaitRecord = z.infer<typeof waitRecordSchema>;

export const endpointWaitsPrefix = (endpointName: string) => `${WAITS_PREFIX}endpoints/${endpointName}/`;
export const endpointWaitKey = (endpointName: string, executionName: string) => `${endpointWaitsPrefix(endpointName)}${executionName}.json`;
export const outputWaitKey = (inferenceId: string) => `${WAITS_PREFIX}outputs/${inferenceId}.json`;

const bucket = () => readEnvironment().artifactsBucket;

/** A record as stored: its ETag makes the delete that ends it conditional (a newer token replacing it is kept). */
export interface StoredWait {
  record: WaitRecord;
  etag: string;
}

/** Records a token; a newer token of the same wait (a retried or redriven Task) replaces the older one. */
export async function putWait(key: string, record: WaitRecord): Promise<StoredWait> {
  const put = await s3().send(
    new PutObjectCommand({ Bucket: bucket(), Key: key, Body: JSON.stringify(record), ContentType: 'application/json' }),
  );
  return { record, etag: put.ETag ?? '' };
}

export async function readWait(key: string): Promise<StoredWait | undefined> {
  const object = await readTextObject(`s3://${bucket()}/${key}`);
  return object === undefined ? undefined : { record: waitRecordSchema.parse(JSON.parse(object.text)), etag: object.etag };
}

/** The keys of the waits on one endpoint (one per execution waiting for it; normally one). */
export async function listWaits(prefix: string): Promise<string[]> {
  const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: prefix }));
  return (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
}

/** What S3 answers a conditional delete of an object that is gone or was replaced (or is being): not ours to remove. */
const NOT_THIS_VERSION = new Set(['NoSuchKey', 'PreconditionFailed', 'ConditionalRequestConflict']);

/**
 * Deletes the record if it is still the version read or written (If-Match), in one call where reading it again to
 * compare tokens took two. Returns whether it was removed.
 */
export async function deleteWait(key: string, etag: string): Promise<boolean> {
  try {
    await s3().send(new DeleteObjectCommand({ Bucket: bucket(), Key: key, IfMatch: etag }));
    return true;
  } catch (error) {
    if (NOT_THIS_VERSION.has(awsErrorName(error) ?? '')) return false;
    throw error;
  }
}
