import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../functions/lib/clients';
import { isS3NotFound } from '../functions/lib/errors';
import { parseS3Uri } from '../functions/lib/s3-uri';
import { WaitTimeout } from './cli-errors';

export interface AsyncResult {
  outcome: 'output' | 'failure';
  location: string;
  body: string;
  contentType?: string;
}

export interface WaitForResultOptions {
  outputLocation: string;
  failureLocation?: string;
  /** Epoch ms. */
  deadline: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Waits for an asynchronous invocation to end: whichever of the output and the failure object appears first in S3.
 * HeadObject is polled with exponential backoff, capped, so a slow model is not hammered and a fast one is not kept waiting.
 */
export async function waitForAsyncResult(options: WaitForResultOptions): Promise<AsyncResult> {
  const maxDelay = options.maxDelayMs ?? 5000;
  let delay = options.initialDelayMs ?? 200;
  for (;;) {
    for (const [outcome, location] of [['output', options.outputLocation], ['failure', options.failureLocation]] as const) {
      if (location && (await exists(location))) return { outcome, location, ...(await read(location)) };
    }
    const remaining = options.deadline - Date.now();
    if (remaining <= 0) {
      throw new WaitTimeout(
        `No output yet at ${options.outputLocation} when --timeout passed`,
        'The invocation may still be queued or running; look for the output later (aws s3 ls) or raise --timeout.',
      );
    }
    await sleep(Math.min(delay, remaining));
    delay = Math.min(maxDelay, delay * 2);
  }
}

async function exists(uri: string): Promise<boolean> {
  const { bucket, key } = location(uri);
  try {
    await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (isS3NotFound(error)) return false;
    throw error;
  }
}

async function read(uri: string): Promise<{ body: string; contentType?: string }> {
  const { bucket, key } = location(uri);
  const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: (await object.Body?.transformToString('utf8')) ?? '', contentType: object.ContentType };
}

function location(uri: string) {
  const parsed = parseS3Uri(uri);
  if (!parsed) throw new Error(`SageMaker returned a location that is not an S3 URI: ${uri}`);
  return parsed;
}
