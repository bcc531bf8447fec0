import { parseS3Uri } from '../../functions/lib/s3-uri';
import { AwsError } from '../aws-error';
import type { FaultInjector } from '../faults';
import type { S3Service } from '../s3/service';
import type { StreamedBody } from './container-call';

/** The SDK's default: SageMaker's own S3 calls are retried as a standard-mode client retries them. */
const MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 50;
const THROTTLING_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/**
 * The async queue's S3 reads (inputs, streamed) and writes (outputs, failure documents), straight to the embedded S3's store:
 * a loopback SDK round trip per object cost the single event loop several milliseconds. Fault rules still apply, named
 * as the dispatcher names them (`s3` / `GetObject` | `PutObject` / `bucket/key`), with the SDK's retries of
 * throttling and 5xx errors, so fault-injection scenarios see what they saw over HTTP.
 */
export class InferenceObjects {
  constructor(
    private readonly s3: S3Service,
    private readonly faults?: FaultInjector,
  ) {}

  /** Opens an input: its bytes are read once, as they are sent on (never held whole in memory). */
  async open(uri: string): Promise<StreamedBody> {
    const { bucket, key } = location(uri);
    return this.attempt('GetObject', bucket, key, () => this.s3.openObject(bucket, key));
  }

  async write(uri: string, body: Buffer, contentType: string | undefined): Promise<void> {
    const { bucket, key } = location(uri);
    await this.attempt('PutObject', bucket, key, () => this.s3.writeObject(bucket, key, body, contentType));
  }

  private async attempt<T>(operation: string, bucket: string, key: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const fault = this.faults?.check({ service: 's3', operation, resource: `${bucket}/${key}` });
        if (fault && 'error' in fault) throw fault.error;
        if (fault) await sleep(fault.delayMs);
        return await run();
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !retryable(error)) throw error;
        await sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
  }
}

function location(uri: string): { bucket: string; key: string } {
  const parsed = parseS3Uri(uri);
  if (!parsed) throw new AwsError('InvalidInputLocation', `${uri} is not an s3://bucket/key URI`);
  return parsed;
}

function retryable(error: unknown): boolean {
  return error instanceof AwsError && (error.status >= 500 || THROTTLING_CODES.has(error.code));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
