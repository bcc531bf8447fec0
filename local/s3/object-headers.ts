import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { checksumHeader } from '../protocols/checksums';
import { s3Errors } from './errors';
import { decodeMetadataValue, encodeMetadataValue } from './metadata-encoding';
import { etagMatches, type ObjectAttributes, type ObjectMeta } from './store';

/** Representation headers S3 stores with an object and returns on GET/HEAD. */
const STORED_HEADERS = ['content-encoding', 'content-disposition', 'cache-control', 'content-language', 'expires'] as const;
const MAX_METADATA_BYTES = 2048;
/** S3's content type for an object stored without one. */
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/** Content-Type, `x-amz-meta-*` and representation headers of a PutObject/CreateMultipartUpload/CopyObject(REPLACE). */
export function attributesFromHeaders(headers: IncomingHttpHeaders): ObjectAttributes {
  const metadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const text = decodeMetadataValue(Array.isArray(value) ? value.join(',') : value);
    metadata[name.slice('x-amz-meta-'.length)] = text;
    metadataBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length)) + Buffer.byteLength(text);
  }
  if (metadataBytes > MAX_METADATA_BYTES) throw s3Errors.metadataTooLarge(metadataBytes);
  const stored: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = headers[name];
    if (typeof value !== 'string') continue;
    // aws-chunked describes the upload, not the object: S3 strips it.
    if (name === 'content-encoding') value = value.split(',').map((e) => e.trim()).filter((e) => e && e !== 'aws-chunked').join(',');
    if (value) stored[name] = value;
  }
  return { contentType: String(headers['content-type'] ?? DEFAULT_CONTENT_TYPE), metadata, headers: stored };
}

/** `response-content-type` & co. on a GET override what was stored (presigned downloads use them). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

/** The headers of a GET/HEAD response describing the object. */
export function objectHeaders(meta: ObjectMeta, query: URLSearchParams, options: { withChecksum: boolean }): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'content-type': meta.contentType,
    etag: meta.etag,
    'last-modified': new Date(meta.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    ...meta.headers,
  };
  for (const [name, value] of Object.entries(meta.metadata)) headers[`x-amz-meta-${name}`] = encodeMetadataValue(value);
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = query.get(param);
    if (value !== null) headers[header] = value;
  }
  if (options.withChecksum && meta.checksum) {
    headers[checksumHeader(meta.checksum.algorithm)] = meta.checksum.value;
    headers['x-amz-checksum-type'] = meta.checksum.type;
  }
  return headers;
}

/** Whole seconds: HTTP dates carry no milliseconds. */
const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}

/**
 * GET/HEAD conditions in S3's precedence: If-Match (412) over If-Unmodified-Since, If-None-Match (304) over
 * If-Modified-Since. With `prefix` (`x-amz-copy-source-`), CopyObject's source conditions, where every failure is 412.
 */
export function assertReadConditions(headers: IncomingHttpHeaders, meta: ObjectMeta, prefix = ''): void {
  const get = (name: string) => {
    const value = headers[`${prefix}${name}`];
    return typeof value === 'string' ? value : undefined;
  };
  const notModified = prefix ? () => s3Errors.preconditionFailed(`${prefix}if-none-match`) : s3Errors.notModified;
  const ifMatch = get('if-match');
  const ifNoneMatch = get('if-none-match');
  const modified = seconds(meta.lastModified);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, meta.etag)) throw s3Errors.preconditionFailed('If-Match');
  } else {
    const unmodifiedSince = parseHttpDate(get('if-unmodified-since'));
    if (unmodifiedSince !== undefined && modified > unmodifiedSince) throw s3Errors.preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, meta.etag)) throw notModified();
  } else {
    const modifiedSince = parseHttpDate(get('if-modified-since'));
    if (modifiedSince !== undefined && modified <= modifiedSince) throw notModified();
  }
}
