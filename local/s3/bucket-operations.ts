import { readXmlBytes, sendEmpty, sendXml } from '../protocols/rest-xml';
import { parseXml, type XmlElement } from '../protocols/xml';
import { OWNER, type S3Operation } from './call';
import { s3Errors } from './errors';
import { encodeKey, listPage } from './list';
import { assertBucketName } from './names';
import type { ObjectMeta } from './store';

export const createBucket: S3Operation = async ({ req, res, ctx, bucket, store }) => {
  assertBucketName(bucket);
  // The body, if any, is a CreateBucketConfiguration; its LocationConstraint names the region.
  const body = await readXmlBytes(req);
  let region = ctx.region;
  if (body.length > 0) {
    const config = parseXml(body.toString('utf8')).CreateBucketConfiguration;
    if (config === undefined) throw s3Errors.malformedXml();
    const constraint = typeof config === 'object' && config !== null ? (config as Record<string, unknown>).LocationConstraint : undefined;
    if (typeof constraint === 'string' && constraint.trim()) region = constraint.trim();
  }
  // S3's legacy us-east-1 behaviour: re-creating a bucket you own there succeeds (200) instead of BucketAlreadyOwnedByYou.
  if (!(region === 'us-east-1' && store.hasBucket(bucket) && store.bucket(bucket).region === 'us-east-1')) await store.createBucket(bucket, region);
  sendEmpty(res, ctx, 200, { location: `/${bucket}` });
};

export const headBucket: S3Operation = async ({ res, ctx, bucket, store }) => {
  const record = store.bucket(bucket);
  sendEmpty(res, ctx, 200, { 'x-amz-bucket-region': record.region });
};

export const deleteBucket: S3Operation = async ({ res, ctx, bucket, store }) => {
  await store.deleteBucket(bucket);
  sendEmpty(res, ctx, 204);
};

/** ListBuckets, paged as S3 pages it (max-buckets 1–10000, continuation-token), filtered by prefix and bucket-region. */
export const listBuckets: S3Operation = async ({ res, ctx, store, query }) => {
  const maxText = query.get('max-buckets');
  const max = maxText === null ? 10_000 : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > 10_000) throw s3Errors.invalidArgument('Argument max-buckets must be an integer between 1 and 10000.', 'max-buckets', String(maxText));
  const token = query.get('continuation-token') || undefined;
  const after = token ? decodeToken(token) : '';
  const prefix = query.get('prefix') ?? '';
  const region = query.get('bucket-region');
  const matching = store
    .listBuckets()
    .filter((b) => b.name > after && b.name.startsWith(prefix) && (region === null || b.region === region))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const page = matching.slice(0, max);
  sendXml(res, ctx, 'ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: b.creationDate, BucketRegion: b.region })) },
    ContinuationToken: matching.length > page.length ? encodeToken(page[page.length - 1].name) : undefined,
    Prefix: query.get('prefix') ?? undefined,
  });
};

export const getBucketLocation: S3Operation = async ({ res, ctx, bucket, store }) => {
  const { region } = store.bucket(bucket);
  // us-east-1 is S3's "no constraint": an empty LocationConstraint.
  sendXml(res, ctx, 'LocationConstraint', region === 'us-east-1' ? '' : region);
};

const TOKEN_PREFIX = 'aep1:';
const encodeToken = (after: string) => Buffer.from(`${TOKEN_PREFIX}${after}`, 'utf8').toString('base64');

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith(TOKEN_PREFIX)) throw s3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  return text.slice(TOKEN_PREFIX.length);
}

/** Common ListObjects/ListObjectsV2 parameters. */
function listParameters(query: URLSearchParams) {
  const maxKeysText = query.get('max-keys');
  const maxKeys = maxKeysText === null ? 1000 : Number(maxKeysText);
  if (!Number.isInteger(maxKeys) || maxKeys < 0 || maxKeys > 2 ** 31 - 1) {
    throw s3Errors.invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', String(maxKeysText));
  }
  const encodingType = query.get('encoding-type') ?? undefined;
  if (encodingType !== undefined && encodingType !== 'url') {
    throw s3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  }
  // encoding-type=url (the AWS CLI always asks for it): names are percent-encoded, so any byte survives XML.
  const encode = encodingType ? encodeKey : (text: string) => text;
  return { prefix: query.get('prefix') ?? '', delimiter: query.get('delimiter') ?? '', maxKeys: Math.min(maxKeys, 1000), encodingType, encode };
}

function contents(meta: ObjectMeta, encode: (text: string) => string, withOwner: boolean): XmlElement {
  return {
    Key: encode(meta.key),
    LastModified: meta.lastModified,
    ETag: meta.etag,
    ChecksumAlgorithm: meta.checksum?.algorithm,
    ChecksumType: meta.checksum?.type,
    Size: meta.size,
    StorageClass: 'STANDARD',
    Owner: withOwner ? OWNER : undefined,
  };
}

export const listObjectsV2: S3Operation = async ({ res, ctx, bucket, store, query }) => {
  const params = listParameters(query);
  const token = query.get('continuation-token') ?? undefined;
  const startAfter = query.get('start-after') ?? undefined;
  // An empty token is no token, as S3 takes it (some clients send `continuation-token=` on the first page).
  const after = token ? decodeToken(token) : (startAfter ?? '');
  const page = listPage(store.sortedKeys(bucket), { ...params, after });
  const { encode } = params;
  const objects = page.keys.map((key) => store.head(bucket, key)).filter((m): m is ObjectMeta => m !== undefined);
  sendXml(res, ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: encode(params.prefix),
    Delimiter: params.delimiter ? encode(params.delimiter) : undefined,
    MaxKeys: params.maxKeys,
    EncodingType: params.encodingType,
    KeyCount: page.keys.length + page.commonPrefixes.length,
    IsTruncated: page.isTruncated,
    ContinuationToken: token,
    NextContinuationToken: page.isTruncated && page.nextAfter !== undefined ? encodeToken(page.nextAfter) : undefined,
    StartAfter: startAfter !== undefined ? encode(startAfter) : undefined,
    Contents: objects.map((meta) => contents(meta, encode, query.get('fetch-owner') === 'true')),
    CommonPrefixes: page.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
};

/** ListObjects (version 1), still what some tools call: Marker instead of a continuation token. */
export const listObjects: S3Operation = async ({ res, ctx, bucket, store, query }) => {
  const params = listParameters(query);
  const marker = query.get('marker') ?? '';
  const page = listPage(store.sortedKeys(bucket), { ...params, after: marker });
  const { encode } = params;
  const objects = page.keys.map((key) => store.head(bucket, key)).filter((m): m is ObjectMeta => m !== undefined);
  sendXml(res, ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: encode(params.prefix),
    Marker: encode(marker),
    // S3 returns NextMarker only with a delimiter; without one, clients continue from the last key.
    NextMarker: page.isTruncated && params.delimiter && page.nextAfter !== undefined ? encode(page.nextAfter) : undefined,
    MaxKeys: params.maxKeys,
    Delimiter: params.delimiter ? encode(params.delimiter) : undefined,
    EncodingType: params.encodingType,
    IsTruncated: page.isTruncated,
    Contents: objects.map((meta) => contents(meta, encode, true)),
    CommonPrefixes: page.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
};
