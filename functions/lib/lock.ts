import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { s3, sfn } from './clients';
import { awsErrorName } from './errors';
import { logger } from './logger';
import { artifactKeys } from './names';
import { readTextObject } from './s3-objects';

/**
 * One deployment per endpoint at a time. The lock is an S3 object, `locks/<endpoint>.json` in the artifacts bucket,
 * created with `If-None-Match: *` so exactly one writer wins. S3 has no lease expiry, so a lock left by an execution
 * that died (stopped, timed out, failed before RecordFailure) is taken over once its holder is no longer RUNNING —
 * with `If-Match: <its ETag>`, so of two executions taking over the same stale lock only one wins.
 */

export const lockRecordSchema = z.object({
  holder: z.string().min(1),
  acquiredAt: z.string(),
  endpointName: z.string(),
});
export type LockRecord = z.infer<typeof lockRecordSchema>;

export interface LockArgs {
  bucket: string;
  endpointName: string;
  executionArn: string;
}

export interface AcquireResult {
  acquired: boolean;
  /** The execution holding the lock when it is not us. */
  holder?: string;
}

/** Contention on the lock object resolves in a round or two; beyond that, report "not acquired" and poll again. */
const MAX_ROUNDS = 4;

export async function acquireLock(args: LockArgs & { now: Date }): Promise<AcquireResult> {
  const key = artifactKeys.lock(args.endpointName);
  const body = JSON.stringify({
    holder: args.executionArn,
    acquiredAt: args.now.toISOString(),
    endpointName: args.endpointName,
  } satisfies LockRecord);
  let holder: string | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (await putConditionally(args.bucket, key, body, { IfNoneMatch: '*' })) return { acquired: true };

    const current = await readLock(args);
    if (!current) continue; // released between our put and our read: try to create it again
    holder = current.record?.holder;
    if (holder === args.executionArn) return { acquired: true }; // a retried or redriven step
    if (holder !== undefined && (await isRunning(holder))) return { acquired: false, holder };

    logger.warn('taking over a stale lock', { key, staleHolder: holder ?? '(unreadable lock object)' });
    if (await putConditionally(args.bucket, key, body, { IfMatch: current.etag })) return { acquired: true };
    // someone else changed it first: look again
  }
  return { acquired: false, holder };
}

/** Deletes the lock if this execution holds it; true if it did. Safe to call twice or without holding the lock. */
export async function releaseLock(args: LockArgs): Promise<boolean> {
  const current = await readLock(args);
  if (!current || current.record?.holder !== args.executionArn) return false;
  try {
    await s3().send(
      new DeleteObjectCommand({ Bucket: args.bucket, Key: artifactKeys.lock(args.endpointName), IfMatch: current.etag }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false; // taken over meanwhile: no longer ours to delete
    throw error;
  }
}

/**
 * The lock object as stored, with its ETag; `record` is undefined when the body is not a lock record
 * (a hand-written or truncated object), which acquireLock treats as stale.
 */
export async function readLock(
  args: Pick<LockArgs, 'bucket' | 'endpointName'>,
): Promise<{ record?: LockRecord; etag: string } | undefined> {
  const object = await readTextObject({ bucket: args.bucket, key: artifactKeys.lock(args.endpointName) });
  if (!object) return undefined;
  return { record: parseRecord(object.text), etag: object.etag };
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const parsed = lockRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** True if written; false when the condition failed (412) or a concurrent conditional write conflicted (409). */
async function putConditionally(
  bucket: string,
  key: string,
  body: string,
  condition: { IfNoneMatch: '*' } | { IfMatch: string },
): Promise<boolean> {
  try {
    await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', ...condition }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

function isConditionFailure(error: unknown): boolean {
  const name = awsErrorName(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412 || status === 409;
}

/** An execution that no longer exists (deleted history, another account's ARN) cannot be holding anything. */
async function isRunning(executionArn: string): Promise<boolean> {
  try {
    const execution = await sfn().send(new DescribeExecutionCommand({ executionArn }));
    return execution.status === 'RUNNING';
  } catch (error) {
    if (awsErrorName(error) === 'ExecutionDoesNotExist' || awsErrorName(error) === 'InvalidArn') return false;
    throw error;
  }
}
