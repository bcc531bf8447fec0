import { rm } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { AwsError } from '../aws-error';
import { checksumHeader } from '../protocols/checksums';
import { readXmlBody, requestIdHeaders, sendEmpty, sendXml } from '../protocols/rest-xml';
import type { XmlElement } from '../protocols/xml';
import { copySource } from './address';
import { copyToTemp } from './copy-bytes';
import { header, type S3Call, type S3Operation } from './call';
import { s3Errors } from './errors';
import { assertKey, assertBucketName } from './names';
import { assertReadConditions, attributesFromHeaders, objectHeaders } from './object-headers';
import { partRange } from './part-range';
import { resolveRange } from './range';
import { BodyVerifier, DEFAULT_OBJECT_CHECKSUM, receiveBody } from './receive-body';
import type { ObjectMeta, WriteConditions } from './store';

/** The conditional-write headers of a PutObject/CopyObject/CompleteMultipartUpload; S3 only implements `If-None-Match: *`. */
export function writeConditions(call: S3Call): WriteConditions {
  const ifNoneMatch = header(call, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw s3Errors.notImplemented('If-None-Match other than *');
  return { ifMatch: header(call, 'if-match'), ifNoneMatch };
}

/** Fails a conditional write before its body is read when the outcome is already certain (it is re-checked at commit). */
export function precheckWrite(call: S3Call, conditions: WriteConditions): void {
  if (conditions.ifNoneMatch !== undefined && call.store.head(call.bucket, call.key)) throw s3Errors.preconditionFailed('If-None-Match');
}

function writeResultHeaders(meta: ObjectMeta): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { etag: meta.etag };
  if (meta.checksum) {
    headers[checksumHeader(meta.checksum.algorithm)] = meta.checksum.value;
    headers['x-amz-checksum-type'] = meta.checksum.type;
  }
  return headers;
}

export const putObject: S3Operation = async (call) => {
  const { req, res, ctx, bucket, key, store } = call;
  store.bucket(bucket);
  assertKey(key);
  const attributes = attributesFromHeaders(req.headers);
  const conditions = writeConditions(call);
  precheckWrite(call, conditions);
  const body = await receiveBody(req, store.tempPath(), { defaultAlgorithm: DEFAULT_OBJECT_CHECKSUM });
  const meta = await store
    .commit(bucket, key, { tempPath: body.tempPath, size: body.size, etag: `"${body.md5Hex}"`, checksum: body.checksum }, attributes, conditions)
    .catch(async (error) => {
      await rm(body.tempPath, { force: true });
      throw error;
    });
  call.created(bucket, meta);
  sendEmpty(res, ctx, 200, writeResultHeaders(meta));
};

/** GetObject and HeadObject: conditions, a Range (206/416), the stored headers, and for GET the bytes (streamed, or a small object's at once). */
export const getObject: S3Operation = async ({ req, res, ctx, bucket, key, store, query }) => {
  assertKey(key);
  const isHead = req.method === 'HEAD';
  // GET reads (a small object) or opens the file first and answers from the metadata that came with it, so a
  // concurrent replace cannot mix versions.
  const small = isHead ? undefined : store.readSmall(bucket, key);
  const opened = isHead || small ? undefined : await store.open(bucket, key);
  const meta = small?.meta ?? opened?.meta ?? store.head(bucket, key);
  try {
    if (!meta) throw s3Errors.noSuchKey(key);
    try {
      assertReadConditions(req.headers, meta);
    } catch (error) {
      // A 304 still tells the client which version it has.
      if ((error as { status?: number }).status === 304) res.setHeader('etag', meta.etag);
      throw error;
    }
    const part = partRange(query, meta, req.headers.range);
    const range = part?.range ?? resolveRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, meta.size);
    const wantsChecksum = String(req.headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED';
    const headers = objectHeaders(meta, query, { withChecksum: wantsChecksum && !range });
    if (part?.partsCount !== undefined) headers['x-amz-mp-parts-count'] = String(part.partsCount);
    // A part of a COMPOSITE object has a checksum of its own (FULL_OBJECT parts do not), as in S3.
    const partChecksum = part && meta.checksum && meta.partChecksums?.[part.number - 1];
    if (wantsChecksum && meta.checksum && partChecksum) {
      headers[checksumHeader(meta.checksum.algorithm)] = partChecksum;
      headers['x-amz-checksum-type'] = 'COMPOSITE';
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? meta.size - 1;
    const length = meta.size === 0 ? 0 : end - start + 1;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
    if (isHead || length === 0) {
      await opened?.handle.close();
      sendEmpty(res, ctx, range ? 206 : 200, { ...headers, 'content-length': length });
      return;
    }
    res.writeHead(range ? 206 : 200, { ...requestIdHeaders(ctx), ...headers, 'content-length': length });
    if (small) {
      res.end(small.bytes.subarray(start, end + 1));
      return;
    }
    await pipeline(opened!.handle.createReadStream({ start, end }), res).catch(() => {
      // The client went away mid-download; nothing to tell it.
      res.destroy();
    });
  } catch (error) {
    await opened?.handle.close().catch(() => undefined);
    throw error;
  }
};

export const deleteObject: S3Operation = async ({ req, res, ctx, bucket, key, store }) => {
  store.bucket(bucket);
  assertKey(key);
  const ifMatch = typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined;
  await store.delete(bucket, key, { ifMatch });
  sendEmpty(res, ctx, 204);
};

/** DeleteObjects: up to 1,000 keys from a `<Delete>` document whose Content-MD5 or checksum must match. */
export const deleteObjects: S3Operation = async (call) => {
  const { req, res, ctx, bucket, store } = call;
  store.bucket(bucket);
  const verifier = new BodyVerifier(req.headers);
  const hasDigest = Object.keys(req.headers).some((name) => name === 'content-md5' || name.startsWith('x-amz-checksum-'));
  if (!hasDigest) throw s3Errors.invalidRequest('Missing required header for this request: Content-MD5');
  const { raw, xml } = await readXmlBody(req, ['Object']);
  verifier.update(raw);
  verifier.finish({});
  const document = xml.Delete as { Object?: unknown[]; Quiet?: unknown } | undefined;
  const objects = document?.Object;
  if (typeof document !== 'object' || document === null || !Array.isArray(objects) || objects.length === 0 || objects.length > 1000) {
    throw s3Errors.malformedXml();
  }
  const entries = objects.map((o) => (typeof o === 'object' && o !== null ? (o as { Key?: unknown; VersionId?: unknown }) : {}));
  if (entries.some((e) => typeof e.Key !== 'string')) throw s3Errors.malformedXml();
  const quiet = String(document.Quiet ?? '').trim() === 'true';
  const deleted: XmlElement[] = [];
  const errors: XmlElement[] = [];
  for (const entry of entries) {
    const key = entry.Key as string;
    try {
      assertKey(key);
      if (!(await mayDelete(call, key, entry.VersionId))) {
        // S3 answers a key the caller may not delete in the result, with this wording; the request still succeeds.
        errors.push({ Key: key, Code: 'AccessDenied', Message: 'Access Denied' });
        continue;
      }
      await store.delete(bucket, key);
      if (!quiet) deleted.push({ Key: key });
    } catch (error) {
      const e = error as { name?: string; message?: string };
      errors.push({ Key: key, Code: e.name ?? 'InternalError', Message: e.message ?? String(error) });
    }
  }
  sendXml(res, ctx, 'DeleteResult', { Deleted: deleted, Error: errors });
};

/**
 * DeleteObjects is no action of its own: S3 authorizes s3:DeleteObject (s3:DeleteObjectVersion with a version id)
 * on each key of the body, as if each were deleted alone.
 */
async function mayDelete(call: S3Call, key: string, versionId: unknown): Promise<boolean> {
  const query = new URLSearchParams(typeof versionId === 'string' ? { versionId } : {});
  try {
    await call.ctx.authorize?.('deleteObject', { bucket: call.bucket, key, query, headers: {}, objectExists: true });
    return true;
  } catch (error) {
    if (error instanceof AwsError && error.code === 'AccessDenied') return false;
    throw error;
  }
}

/** CopyObject: server-side, streamed from the source's file to a new one; metadata copied or replaced. */
export const copyObject: S3Operation = async (call) => {
  const { req, res, ctx, bucket, key, store } = call;
  store.bucket(bucket);
  assertKey(key);
  const source = copySource(String(req.headers['x-amz-copy-source']));
  assertBucketName(source.bucket);
  assertKey(source.key);
  const directive = String(req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw s3Errors.invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  }
  if (source.bucket === bucket && source.key === key && directive === 'COPY') {
    throw s3Errors.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const conditions = writeConditions(call);
  precheckWrite(call, conditions);
  const { meta: sourceMeta, handle } = await store.open(source.bucket, source.key);
  const tempPath = store.tempPath();
  // A copy is one PUT: a source's COMPOSITE checksum becomes the full-object checksum of the same algorithm, and a
  // source without one (stored before S3's default) gets the default, as in S3.
  const { md5Hex, checksum } = await copyToTemp(
    handle,
    sourceMeta.size,
    tempPath,
    () => {
      assertReadConditions(req.headers, sourceMeta, 'x-amz-copy-source-');
      return undefined;
    },
    sourceMeta.checksum?.algorithm ?? DEFAULT_OBJECT_CHECKSUM,
  );
  const attributes =
    directive === 'REPLACE'
      ? attributesFromHeaders(req.headers)
      : { contentType: sourceMeta.contentType, metadata: sourceMeta.metadata, headers: sourceMeta.headers };
  const staged = { tempPath, size: sourceMeta.size, etag: `"${md5Hex}"`, checksum };
  const meta = await store.commit(bucket, key, staged, attributes, conditions).catch(async (error) => {
    await rm(tempPath, { force: true });
    throw error;
  });
  call.created(bucket, meta);
  const result = meta.checksum ? { ChecksumType: meta.checksum.type, [`Checksum${meta.checksum.algorithm}`]: meta.checksum.value } : {};
  sendXml(res, ctx, 'CopyObjectResult', { ETag: meta.etag, LastModified: meta.lastModified, ...result }, writeResultHeaders(meta));
};
