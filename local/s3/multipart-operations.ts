import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { checksumHeader, isChecksumAlgorithm, type ChecksumAlgorithm } from '../protocols/checksums';
import { readXmlBody, sendEmpty, sendXml } from '../protocols/rest-xml';
import { OWNER, type S3Call, type S3Operation } from './call';
import { s3Errors } from './errors';
import { assertKey } from './names';
import { attributesFromHeaders } from './object-headers';
import { precheckWrite, writeConditions } from './object-operations';
import { receiveBody } from './receive-body';
import type { PartRecord } from './multipart-store';

/** Every part but the last must be at least 5 MiB, as in S3. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

function partNumber(call: S3Call): number {
  const text = call.query.get('partNumber') ?? '';
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 10_000) {
    throw s3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', text);
  }
  return value;
}

const uploadIdOf = (call: S3Call) => call.query.get('uploadId') ?? '';

export const createMultipartUpload: S3Operation = async ({ req, res, ctx, bucket, key, store, uploads }) => {
  store.bucket(bucket);
  assertKey(key);
  const requested = String(req.headers['x-amz-checksum-algorithm'] ?? '').toUpperCase();
  let algorithm: ChecksumAlgorithm | undefined;
  if (requested) {
    if (!isChecksumAlgorithm(requested)) {
      throw s3Errors.invalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
    }
    algorithm = requested;
  }
  const upload = await uploads.create(bucket, key, attributesFromHeaders(req.headers), algorithm);
  const headers = algorithm ? { 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': 'FULL_OBJECT' } : {};
  sendXml(res, ctx, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId }, headers);
};

export const uploadPart: S3Operation = async (call) => {
  const { req, res, ctx, bucket, key, store, uploads } = call;
  store.bucket(bucket);
  assertKey(key);
  const number = partNumber(call);
  const uploadId = uploadIdOf(call);
  uploads.get(uploadId, bucket, key);
  const body = await receiveBody(req, store.tempPath());
  const part = await uploads.putPart(uploadId, number, body).catch(async (error) => {
    await rm(body.tempPath, { force: true });
    throw error;
  });
  const headers: Record<string, string> = { etag: part.etag };
  if (part.checksum) headers[checksumHeader(part.checksum.algorithm)] = part.checksum.value;
  sendEmpty(res, ctx, 200, headers);
};

/** The `<Part>` list of a CompleteMultipartUpload body. */
function requestedParts(xml: Record<string, unknown>): Array<{ partNumber: number; etag: string }> {
  const document = xml.CompleteMultipartUpload;
  const parts = typeof document === 'object' && document !== null ? (document as { Part?: unknown }).Part : undefined;
  if (!Array.isArray(parts)) {
    throw document === undefined ? s3Errors.malformedXml() : s3Errors.invalidRequest('You must specify at least one part');
  }
  return parts.map((part) => {
    const { PartNumber, ETag } = (typeof part === 'object' && part !== null ? part : {}) as Record<string, unknown>;
    const number = Number(PartNumber);
    if (typeof PartNumber !== 'string' || !Number.isInteger(number) || typeof ETag !== 'string') throw s3Errors.malformedXml();
    return { partNumber: number, etag: ETag.trim() };
  });
}

const sameEtag = (a: string, b: string) => a.replace(/"/g, '') === b.replace(/"/g, '');

export const completeMultipartUpload: S3Operation = async (call) => {
  const { req, res, ctx, bucket, key, store, uploads } = call;
  store.bucket(bucket);
  assertKey(key);
  const uploadId = uploadIdOf(call);
  const conditions = writeConditions(call);
  const { xml } = await readXmlBody(req, ['Part']);
  const requested = requestedParts(xml);
  const meta = await uploads.locks.run(uploadId, async () => {
    uploads.get(uploadId, bucket, key);
    precheckWrite(call, conditions);
    const stored = new Map(uploads.parts(uploadId).map((p) => [p.partNumber, p]));
    const chosen: PartRecord[] = [];
    requested.forEach(({ partNumber: number, etag }, index) => {
      if (index > 0 && number <= requested[index - 1].partNumber) throw s3Errors.invalidPartOrder();
      const part = stored.get(number);
      if (!part || !sameEtag(part.etag, etag)) throw s3Errors.invalidPart(number);
      chosen.push(part);
    });
    chosen.forEach((part, index) => {
      if (index < chosen.length - 1 && part.size < MIN_PART_BYTES) throw s3Errors.entityTooSmall(part.size, part.partNumber, part.etag);
    });
    const tempPath = store.tempPath();
    const assembled = await uploads.assemble(uploadId, chosen, tempPath);
    // S3's multipart ETag: the MD5 of the parts' binary MD5s, then the part count.
    const md5OfMd5s = createHash('md5').update(Buffer.concat(chosen.map((p) => Buffer.from(p.md5Hex, 'hex')))).digest('hex');
    const upload = uploads.get(uploadId, bucket, key);
    const staged = { tempPath, size: assembled.size, etag: `"${md5OfMd5s}-${chosen.length}"`, checksum: assembled.checksum, partsCount: chosen.length };
    const committed = await store.commit(bucket, key, staged, upload.attributes, conditions).catch(async (error) => {
      await rm(tempPath, { force: true });
      throw error;
    });
    await uploads.remove(uploadId);
    return committed;
  });
  call.created(bucket, meta);
  const location = `http://${req.headers.host ?? '127.0.0.1'}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  const checksum = meta.checksum ? { [`Checksum${meta.checksum.algorithm}`]: meta.checksum.value, ChecksumType: meta.checksum.type } : {};
  sendXml(res, ctx, 'CompleteMultipartUploadResult', { Location: location, Bucket: bucket, Key: key, ETag: meta.etag, ...checksum });
};

export const abortMultipartUpload: S3Operation = async (call) => {
  const { res, ctx, bucket, key, store, uploads } = call;
  store.bucket(bucket);
  const uploadId = uploadIdOf(call);
  await uploads.locks.run(uploadId, async () => {
    uploads.get(uploadId, bucket, key);
    await uploads.remove(uploadId);
  });
  sendEmpty(res, ctx, 204);
};

export const listParts: S3Operation = async (call) => {
  const { res, ctx, bucket, key, store, uploads, query } = call;
  store.bucket(bucket);
  const uploadId = uploadIdOf(call);
  const upload = uploads.get(uploadId, bucket, key);
  const maxParts = Math.min(Number(query.get('max-parts') ?? 1000), 1000);
  const marker = Number(query.get('part-number-marker') ?? 0);
  if (!Number.isInteger(maxParts) || maxParts < 0) throw s3Errors.invalidArgument('Provided max-parts not an integer or within integer range', 'max-parts', String(query.get('max-parts')));
  if (!Number.isInteger(marker) || marker < 0) throw s3Errors.invalidArgument('Provided part-number-marker not an integer or within integer range', 'part-number-marker', String(query.get('part-number-marker')));
  const after = uploads.parts(uploadId).filter((p) => p.partNumber > marker);
  const page = after.slice(0, maxParts);
  const isTruncated = after.length > page.length;
  sendXml(res, ctx, 'ListPartsResult', {
    Bucket: bucket,
    Key: key,
    UploadId: uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length ? page[page.length - 1].partNumber : marker,
    MaxParts: maxParts,
    IsTruncated: isTruncated,
    Part: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: p.lastModified,
      ETag: p.etag,
      Size: p.size,
      ...(p.checksum ? { [`Checksum${p.checksum.algorithm}`]: p.checksum.value } : {}),
    })),
    Initiator: OWNER,
    Owner: OWNER,
    StorageClass: 'STANDARD',
    ChecksumAlgorithm: upload.checksumAlgorithm,
  });
};
