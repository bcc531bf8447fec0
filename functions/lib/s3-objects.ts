import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from './clients';
import { InvalidInput, isS3NotFound } from './errors';
import { parseS3Uri, toS3Uri, type S3Location } from './s3-uri';

/**
 * Small S3 reads shared by the steps. Each returns `undefined` when the object is not there, so a caller decides
 * which named error a missing object is (ArtifactNotFound, InvalidInput, "not ready yet", ...).
 */

export interface ObjectHead extends S3Location {
  uri: string;
  /** As S3 returns it, quotes included: usable in If-Match. */
  etag: string;
  versionId?: string;
  sizeBytes: number;
  lastModified?: string;
  contentType?: string;
}

/** An object whose body is not the JSON its reader expects; callers turn it into their own named error. */
export class MalformedJsonObject extends Error {
  override readonly name = 'MalformedJsonObject';
  constructor(
    readonly uri: string,
    /** The parser's complaint, e.g. "Unexpected token } in JSON at position 12". */
    readonly reason: string,
  ) {
    super(`${uri} is not valid JSON: ${reason}`);
  }
}

export function toLocation(uri: string | S3Location): S3Location {
  if (typeof uri !== 'string') return uri;
  const location = parseS3Uri(uri);
  if (!location) throw new InvalidInput(`"${uri}" is not an S3 URI; expected s3://bucket/key`);
  return location;
}

export async function headObject(uri: string | S3Location): Promise<ObjectHead | undefined> {
  const location = toLocation(uri);
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return {
      ...location,
      uri: toS3Uri(location),
      etag: head.ETag ?? '',
      versionId: head.VersionId && head.VersionId !== 'null' ? head.VersionId : undefined,
      sizeBytes: head.ContentLength ?? 0,
      lastModified: head.LastModified?.toISOString(),
      contentType: head.ContentType,
    };
  } catch (error) {
    if (isS3NotFound(error)) return undefined;
    throw error;
  }
}

export async function objectExists(uri: string | S3Location): Promise<boolean> {
  return (await headObject(uri)) !== undefined;
}

/** The whole body as text, with its ETag; undefined when absent. For small documents (locks, deploy.json, baselines). */
export async function readTextObject(uri: string | S3Location): Promise<{ text: string; etag: string } | undefined> {
  const location = toLocation(uri);
  try {
    const response = await s3().send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    const text = response.Body ? await response.Body.transformToString('utf-8') : '';
    return { text, etag: response.ETag ?? '' };
  } catch (error) {
    if (isS3NotFound(error)) return undefined;
    throw error;
  }
}

/** The body parsed as JSON; undefined when absent; MalformedJsonObject when it does not parse. The caller validates the shape. */
export async function readJsonObject<T = unknown>(uri: string | S3Location): Promise<T | undefined> {
  const object = await readTextObject(uri);
  if (object === undefined) return undefined;
  try {
    return JSON.parse(object.text) as T;
  } catch (error) {
    throw new MalformedJsonObject(typeof uri === 'string' ? uri : toS3Uri(uri), (error as Error).message);
  }
}

/**
 * At most the first `n` bytes (a ranged GET), for magic-number checks and error excerpts. An empty object gives an
 * empty buffer (S3 answers a range on it with 416). Reads the stream only as far as needed, in case a server ignores Range.
 */
export async function readFirstBytes(uri: string | S3Location, n: number): Promise<Buffer | undefined> {
  const location = toLocation(uri);
  try {
    const response = await s3().send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key, Range: `bytes=0-${Math.max(0, n - 1)}` }),
    );
    if (!response.Body) return Buffer.alloc(0);
    return await takeBytes(response.Body as AsyncIterable<Uint8Array>, n);
  } catch (error) {
    if (isS3NotFound(error)) return undefined;
    if (isRangeNotSatisfiable(error)) return Buffer.alloc(0);
    throw error;
  }
}

async function takeBytes(body: AsyncIterable<Uint8Array>, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(Buffer.from(chunk));
    length += chunk.length;
    if (length >= n) break; // leaving the loop closes the stream
  }
  return Buffer.concat(chunks).subarray(0, n);
}

function isRangeNotSatisfiable(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error instanceof Error && (error.name === 'InvalidRange' || status === 416);
}
