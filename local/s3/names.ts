import { s3Errors } from './errors';

/** S3's longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** S3's general-purpose bucket naming rules (3–63 chars, lower-case letters, digits, dots, hyphens). */
export function assertBucketName(bucket: string): void {
  const valid =
    bucket.length >= 3 &&
    bucket.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket) &&
    !bucket.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(bucket) &&
    !bucket.startsWith('xn--');
  if (!valid) throw s3Errors.invalidBucketName(bucket);
}

/** Any string is a key S3 accepts up to 1,024 bytes; the key never names a path on disk (see store.ts). */
export function assertKey(key: string): void {
  const size = Buffer.byteLength(key, 'utf8');
  if (size > MAX_KEY_BYTES) throw s3Errors.keyTooLong(size);
}

/**
 * S3 lists keys in UTF-8 byte order. JavaScript compares UTF-16 code units, which differs only for surrogates
 * against U+E000–U+FFFF; shifting those two ranges at the first difference gives code-point (= UTF-8) order.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
