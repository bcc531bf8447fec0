import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { sendRestXmlError } from '../protocols/rest-xml';
import type { RequestContext, ServiceModule } from '../service';
import { isVirtualHostRequest, s3Address } from './address';
import * as buckets from './bucket-operations';
import type { S3Call, S3Operation } from './call';
import { s3Errors } from './errors';
import * as multipart from './multipart-operations';
import { MultipartStore } from './multipart-store';
import { assertKey } from './names';
import { DEFAULT_CONTENT_TYPE } from './object-headers';
import * as objects from './object-operations';
import { objectStream } from './object-stream';
import { S3Store, type BucketRecord, type ObjectMeta } from './store';

export interface ObjectCreatedEvent {
  bucket: string;
  key: string;
  size: number;
  /** Quoted, as in the ETag header. */
  etag: string;
}

export interface S3ServiceOptions {
  dataDir: string;
  /** Called after PutObject, CopyObject and CompleteMultipartUpload succeed (the local EventBridge trigger). */
  onObjectCreated?: (event: ObjectCreatedEvent) => void;
}

/** What other parts of the embedded AWS may read or prepare in-process, without HTTP. */
export interface S3Service extends ServiceModule {
  /** Creates a bucket unless it exists (start-up of `aep local up`). */
  ensureBucket(bucket: string, region?: string): Promise<BucketRecord>;
  /** An object's metadata, or undefined (NoSuchBucket if the bucket is missing). */
  headObject(bucket: string, key: string): ObjectMeta | undefined;
  /** An object's bytes as a stream (NoSuchBucket / NoSuchKey). */
  readObject(bucket: string, key: string): Promise<Readable>;
  /** An object's bytes as a stream, with its size (one version: a concurrent replace changes neither). */
  openObject(bucket: string, key: string): Promise<{ size: number; stream: Readable }>;
  /** Keys under a prefix, in S3's order. */
  listKeys(bucket: string, prefix?: string): string[];
  /**
   * Stores an object as an unconditional PutObject would (and fires onObjectCreated), for services that write on a
   * user's behalf in-process. Fault rules are the caller's to consult: this path does not pass the dispatcher.
   */
  writeObject(bucket: string, key: string, body: Buffer, contentType?: string): Promise<ObjectMeta>;
}

/** S3 sub-resources (`?acl`, `?tagging`, …) the embedded S3 does not implement: answered NotImplemented, never misread. */
const UNSUPPORTED_SUBRESOURCES = [
  'abac', 'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'logging', 'metadataConfiguration', 'metadataInventoryTable', 'metadataJournalTable',
  'metadataTable', 'metrics', 'notification', 'object-lock', 'ownershipControls', 'policy', 'policyStatus',
  'publicAccessBlock', 'renameObject', 'replication', 'requestPayment', 'restore', 'retention', 'select', 'session',
  'tagging', 'torrent', 'versioning', 'versions', 'website',
];

/**
 * Signing names of S3's other REST-XML APIs (S3 Express directory buckets, S3 Object Lambda): claimed so their clients
 * get an S3 error they can parse (NotImplemented), not another protocol's.
 */
const UNSUPPORTED_S3_APIS = ['s3express', 's3-object-lambda'];

/** Picks the operation from method, bucket/key presence and sub-resources, as S3's REST API defines them. */
function resolveOperation(req: IncomingMessage, bucket: string, key: string, query: URLSearchParams): S3Operation {
  const method = req.method ?? 'GET';
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => query.has(name));
  if (unsupported) throw s3Errors.notImplemented(`?${unsupported}`);
  if (bucket === '') {
    if (method === 'GET') return buckets.listBuckets;
    throw s3Errors.methodNotAllowed(method, 'SERVICE');
  }
  if (key === '') {
    if (method === 'PUT') return buckets.createBucket;
    if (method === 'HEAD') return buckets.headBucket;
    if (method === 'DELETE') return buckets.deleteBucket;
    if (method === 'POST' && query.has('delete')) return objects.deleteObjects;
    if (method === 'GET') {
      if (query.has('location')) return buckets.getBucketLocation;
      if (query.has('uploads')) return multipart.listMultipartUploads;
      return query.get('list-type') === '2' ? buckets.listObjectsV2 : buckets.listObjects;
    }
    throw s3Errors.methodNotAllowed(method, 'BUCKET');
  }
  const isPart = query.has('uploadId');
  if (method === 'PUT') {
    if (isPart && req.headers['x-amz-copy-source']) return multipart.uploadPartCopy;
    if (isPart || query.has('partNumber')) return multipart.uploadPart;
    return req.headers['x-amz-copy-source'] ? objects.copyObject : objects.putObject;
  }
  if (method === 'GET') return isPart ? multipart.listParts : objects.getObject;
  if (method === 'HEAD') return objects.getObject;
  if (method === 'DELETE') return isPart ? multipart.abortMultipartUpload : objects.deleteObject;
  if (method === 'POST') {
    if (query.has('uploads')) return multipart.createMultipartUpload;
    if (isPart) return multipart.completeMultipartUpload;
  }
  throw s3Errors.methodNotAllowed(method, 'OBJECT');
}

/** Whether a key exists (for IAM: a missing key without s3:ListBucket is 403, not 404). */
function objectExists(store: S3Store, bucket: string, key: string): boolean {
  try {
    return key !== '' && store.head(bucket, key) !== undefined;
  } catch {
    return false;
  }
}

/**
 * The embedded S3 (REST-XML, path-style `/bucket/key` or virtual-hosted `bucket.localhost`), speaking S3's wire format
 * to the SDK v3, the AWS CLI and boto3. It claims requests signed for `s3`, virtual-hosted requests, and — being the
 * only REST service without a signature scheme of its own — any other unsigned request outside the `/_aep/` admin paths.
 */
export function createS3Service(options: S3ServiceOptions): S3Service {
  const store = new S3Store(options.dataDir);
  const uploads = new MultipartStore(options.dataDir);
  const created = (bucket: string, meta: ObjectMeta) => {
    try {
      options.onObjectCreated?.({ bucket, key: meta.key, size: meta.size, etag: meta.etag });
    } catch (error) {
      // A failing listener must not turn a stored object into a failed request.
      console.error(`aep local s3: onObjectCreated listener failed for s3://${bucket}/${meta.key}:`, error);
    }
  };

  return {
    name: 's3',
    handles(req: IncomingMessage, ctx: RequestContext): boolean {
      if (ctx.signingName) return ctx.signingName === 's3' || UNSUPPORTED_S3_APIS.includes(ctx.signingName);
      if (isVirtualHostRequest(req)) return true;
      // An unsigned form POST to `/` is a Query call (STS's AssumeRoleWithWebIdentity), never an S3 operation.
      if (req.method === 'POST' && ctx.url.pathname === '/' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return false;
      return !ctx.url.pathname.startsWith('/_aep/') && req.headers['x-amz-target'] === undefined && !ctx.url.searchParams.has('Action');
    },
    async handle(req, res, ctx) {
      try {
        if (ctx.signingName && UNSUPPORTED_S3_APIS.includes(ctx.signingName)) throw s3Errors.notImplemented(`the ${ctx.signingName} API`);
        const { bucket, key } = s3Address(req);
        const call: S3Call = { req, res, ctx, bucket, key, query: ctx.url.searchParams, store, uploads, created };
        const operation = resolveOperation(req, bucket, key, ctx.url.searchParams);
        await ctx.authorize?.(operation.name, { bucket, key, query: call.query, headers: req.headers, objectExists: objectExists(store, bucket, key) });
        await operation(call);
      } catch (error) {
        sendRestXmlError(req, res, error, ctx);
      }
    },
    async ensureBucket(bucket, region = process.env.AWS_REGION ?? 'us-east-1') {
      return store.hasBucket(bucket) ? store.bucket(bucket) : store.createBucket(bucket, region);
    },
    headObject: (bucket, key) => store.head(bucket, key),
    async readObject(bucket, key) {
      return (await this.openObject(bucket, key)).stream;
    },
    async openObject(bucket, key) {
      assertKey(key);
      const small = store.readSmall(bucket, key);
      if (small) return { size: small.meta.size, stream: Readable.from([small.bytes]) };
      const { meta, handle } = await store.open(bucket, key);
      return { size: meta.size, stream: objectStream(handle, meta.size) };
    },
    listKeys: (bucket, prefix = '') => store.sortedKeys(bucket).filter((key) => key.startsWith(prefix)),
    async writeObject(bucket, key, body, contentType = DEFAULT_CONTENT_TYPE) {
      store.bucket(bucket);
      assertKey(key);
      const meta = await store.put(bucket, key, body, { contentType, metadata: {}, headers: {} });
      created(bucket, meta);
      return meta;
    },
  };
}
