export interface S3Location {
  bucket: string;
  key: string;
}

/** `s3://bucket/key` with a valid bucket name; the schemas validate with it, parseS3Uri splits with it. */
export const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/** Parses `s3://bucket/key`; returns undefined for anything else (callers turn that into a named error). */
export function parseS3Uri(uri: string): S3Location | undefined {
  const match = S3_URI.exec(uri);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}

export function toS3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** The "folder" of a key, with its trailing slash ('' for a key at the bucket root). */
export function keyPrefix(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash + 1);
}
