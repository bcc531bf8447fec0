import type { IncomingMessage } from 'node:http';
import { s3Errors } from './errors';

/** The bucket and key a request addresses ('' when absent), decoded exactly as the client encoded them. */
export interface S3Address {
  bucket: string;
  key: string;
}

/** `my-bucket.localhost:4566` or `my-bucket.s3.localhost:4566`: virtual-hosted-style addressing on loopback. */
const VIRTUAL_HOST = /^(.+?)\.(?:s3\.)?localhost$/i;

/**
 * Reads the bucket and key from the raw request line, not from a parsed URL: WHATWG URL parsing would resolve
 * `..` and `%2e%2e` segments and merge slashes, changing which key a client meant (`../x` is a legal S3 key).
 */
export function s3Address(req: IncomingMessage): S3Address {
  const raw = req.url ?? '/';
  const query = raw.indexOf('?');
  const path = (query < 0 ? raw : raw.slice(0, query)).replace(/^\//, '');
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const virtual = VIRTUAL_HOST.exec(host);
  if (virtual) return { bucket: virtual[1].toLowerCase(), key: decode(path) };
  const slash = path.indexOf('/');
  return slash < 0 ? { bucket: decode(path), key: '' } : { bucket: decode(path.slice(0, slash)), key: decode(path.slice(slash + 1)) };
}

/** True when the Host header names a bucket (virtual-hosted style), so every path belongs to S3. */
export function isVirtualHostRequest(req: IncomingMessage): boolean {
  return VIRTUAL_HOST.test(String(req.headers.host ?? '').replace(/:\d+$/, ''));
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw s3Errors.invalidUri();
  }
}

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=…`. */
export function copySource(header: string): S3Address {
  const withoutVersion = header.split('?')[0].replace(/^\//, '');
  const slash = withoutVersion.indexOf('/');
  if (slash <= 0 || slash === withoutVersion.length - 1) {
    throw s3Errors.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', header);
  }
  return { bucket: decode(withoutVersion.slice(0, slash)), key: decode(withoutVersion.slice(slash + 1)) };
}
