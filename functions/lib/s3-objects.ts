import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
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

/** What HeadObject and GetObject both answer about an object. */
interface ObjectMetadata {
  ETag?: string;
  VersionId?: string;
  LastModified?: Date;
  ContentType?: string;
}

function objectHead(location: S3Location, metadata: ObjectMetadata, sizeBytes: number): ObjectHead {
  return {
    ...location,
    uri: toS3Uri(location),
    etag: metadata.ETag ?? '',
    versionId: metadata.VersionId && metadata.VersionId !== 'null' ? metadata.VersionId : undefined,
    sizeBytes,
    lastModified: metadata.LastModified?.toISOString(),
    contentType: metadata.ContentType,
  };
}

export async function headObject(uri: string | S3Location): Promise<ObjectHead | undefined> {
  const location = toLocation(uri);
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return objectHead(location, head, head.ContentLength ?? 0);
  } catch (error) {
    if (isS3NotFound(error)) return undefined;
    throw error;
  }
}

export async function objectExists(uri: string | S3Location): Promise<boolean> {
  return (await headObject(uri)) !== undefined;
}

/**
 * Which of `keys` (each starting with `prefix`) exist in the bucket: one ListObjectsV2 where a HEAD per key would be
 * one call each. Meant for a narrow prefix that holds a handful of keys besides these; a missing bucket is "none",
 * as headObject answers undefined, and any other refusal (AccessDenied) is the caller's.
 */
export async function existingKeys(bucket: string, prefix: string, keys: readonly string[]): Promise<Set<string>> {
  const wanted = new Set(keys);
  const lastWanted = keys.reduce((a, b) => (utf8Order(a, b) >= 0 ? a : b), '');
  const found = new Set<string>();
  try {
    let token: string | undefined;
    do {
      // S3's largest page (its default too, said so it is not lowered by mistake): the price is per request, not per
      // key, so a prefix shared by more keys than expected still costs one call.
      const page = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000, ContinuationToken: token }));
      for (const { Key } of page.Contents ?? []) if (Key !== undefined && wanted.has(Key)) found.add(Key);
      // Keys come in UTF-8 byte order: once a page ends at or past the last wanted key, later pages cannot hold one.
      const lastListed = page.Contents?.at(-1)?.Key;
      const more = page.IsTruncated && lastListed !== undefined && utf8Order(lastListed, lastWanted) < 0 && found.size < wanted.size;
      token = more ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    if (isS3NotFound(error)) return found;
    throw error;
  }
  return found;
}

/** S3's listing order (UTF-8 bytes), which differs from JavaScript's (UTF-16 units) above U+FFFF. */
function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf-8'), Buffer.from(b, 'utf-8'));
}

/**
 * The body as text with what S3 says of the object, in one GET; undefined when absent. An object larger than
 * `maxBytes` is not read (`tooLarge`): its size comes with the GET's headers, so no HEAD is needed to check it first.
 */
export async function readBoundedTextObject(
  uri: string | S3Location,
  maxBytes: number,
): Promise<{ head: ObjectHead; text: string } | { head: ObjectHead; tooLarge: true } | undefined> {
  const location = toLocation(uri);
  try {
    const response = await s3().send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    const head = objectHead(location, response, response.ContentLength ?? 0);
    if (head.sizeBytes > maxBytes) {
      (response.Body as Readable | undefined)?.destroy();
      return { head, tooLarge: true };
    }
    return { head, text: response.Body ? await response.Body.transformToString('utf-8') : '' };
  } catch (error) {
    if (isS3NotFound(error)) return undefined;
    throw error;
  }
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
 * What HeadObject says of an object and at most its first `n` bytes, in one ranged GET (not a HEAD and a GET): the
 * whole size is the total of Content-Range. For magic-number checks and error excerpts; undefined when absent. An
 * empty object is size 0 with no bytes (S3 answers a range on it with 416, which says nothing else). Reads the stream
 * only as far as needed, in case a server ignores Range.
 */
export async function readHeadAndFirstBytes(uri: string | S3Location, n: number): Promise<{ head: ObjectHead; bytes: Buffer } | undefined> {
  const location = toLocation(uri);
  try {
    const response = await s3().send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key, Range: `bytes=0-${Math.max(0, n - 1)}` }),
    );
    const sizeBytes = totalOfContentRange(response.ContentRange) ?? response.ContentLength ?? 0;
    const bytes = response.Body ? await takeBytes(response.Body as AsyncIterable<Uint8Array>, n) : Buffer.alloc(0);
    return { head: objectHead(location, response, sizeBytes), bytes };
  } catch (error) {
    if (isS3NotFound(error)) return undefined;
    if (isRangeNotSatisfiable(error)) return { head: objectHead(location, {}, 0), bytes: Buffer.alloc(0) };
    throw error;
  }
}

/** At most the first `n` bytes (one ranged GET); undefined when the object is absent. */
export async function readFirstBytes(uri: string | S3Location, n: number): Promise<Buffer | undefined> {
  return (await readHeadAndFirstBytes(uri, n))?.bytes;
}

/** `bytes 0-1/2048` → 2048; undefined when absent or unknown (`*`). */
function totalOfContentRange(contentRange: string | undefined): number | undefined {
  const total = /\/(\d+)$/.exec(contentRange ?? '')?.[1];
  return total === undefined ? undefined : Number(total);
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
