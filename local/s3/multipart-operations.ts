import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { CHECKSUM_ALGORITHMS, checksumHeader, type ChecksumAlgorithm } from '../protocols/checksums';
import { readXmlBody, sendEmpty, sendXml } from '../protocols/rest-xml';
import { OWNER, type S3Call, type S3Operation } from './call';
import { s3Errors } from './errors';
import { copySource } from './address';
import { copyToTemp } from './copy-bytes';
import { assertBucketName, assertKey } from './names';
import { assertReadConditions, attributesFromHeaders } from './object-headers';
import { precheckWrite, writeConditions } from './object-operations';
import { declaredChecksum, receiveBody } from './receive-body';
import { assertCompleteChecksum, compositeChecksum, fullObjectAlgorithm, requestedUploadChecksum, uploadChecksumType } from './multipart-checksum';
import { encodeKey } from './list';
import type { PartRecord, UploadRecord } from './multipart-store';

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
  const { algorithm, type } = requestedUploadChecksum(req.headers);
  const upload = await uploads.create(bucket, key, attributesFromHeaders(req.headers), { checksumAlgorithm: algorithm, checksumType: type });
  const headers: Record<string, string> = algorithm && type ? { 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': type } : {};
  sendXml(res, ctx, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId }, headers);
};

/** The part an UploadPart(Copy) writes: its number and an upload that exists for this bucket and key. */
function partTarget(call: S3Call): { number: number; uploadId: string; upload: UploadRecord } {
  call.store.bucket(call.bucket);
  assertKey(call.key);
  const number = partNumber(call);
  const uploadId = uploadIdOf(call);
  const upload = call.uploads.get(uploadId, call.bucket, call.key);
  return { number, uploadId, upload };
}

export const uploadPart: S3Operation = async (call) => {
  const { req, res, ctx, store, uploads } = call;
  const { number, uploadId, upload } = partTarget(call);
  // An upload created with an algorithm takes parts checksummed with it, and no other.
  const expected = upload.checksumAlgorithm;
  const declared = declaredChecksum(req.headers).algorithm;
  if (expected && declared !== expected) {
    throw s3Errors.invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${declared?.toLowerCase() ?? 'null'}`);
  }
  const body = await receiveBody(req, store.tempPath());
  const part = await uploads.putPart(uploadId, number, body).catch(async (error) => {
    await rm(body.tempPath, { force: true });
    throw error;
  });
  const headers: Record<string, string> = { etag: part.etag };
  if (part.checksum) headers[checksumHeader(part.checksum.algorithm)] = part.checksum.value;
  sendEmpty(res, ctx, 200, headers);
};

/** A `<Part>` of a CompleteMultipartUpload body: number, ETag and the part checksums the client listed. */
interface RequestedPart {
  partNumber: number;
  etag: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/** The `<Part>` list of a CompleteMultipartUpload body. */
function requestedParts(xml: Record<string, unknown>): RequestedPart[] {
  const document = xml.CompleteMultipartUpload;
  const parts = typeof document === 'object' && document !== null ? (document as { Part?: unknown }).Part : undefined;
  if (!Array.isArray(parts)) {
    throw document === undefined ? s3Errors.malformedXml() : s3Errors.invalidRequest('You must specify at least one part');
  }
  return parts.map((part) => {
    const fields = (typeof part === 'object' && part !== null ? part : {}) as Record<string, unknown>;
    const { PartNumber, ETag } = fields;
    const number = Number(PartNumber);
    if (typeof PartNumber !== 'string' || !Number.isInteger(number) || typeof ETag !== 'string') throw s3Errors.malformedXml();
    const checksums: RequestedPart['checksums'] = {};
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const value = fields[`Checksum${algorithm}`];
      if (typeof value === 'string') checksums[algorithm] = value.trim();
    }
    return { partNumber: number, etag: ETag.trim(), checksums };
  });
}

/**
 * A listed part's checksums against the stored part, as S3 checks them: none may be listed for an upload without an
 * algorithm; a COMPOSITE upload needs each part's checksum; a listed value must be the one the part was stored with.
 */
function assertPartChecksums(requested: RequestedPart, stored: PartRecord, upload: UploadRecord): void {
  const invalidPart = () => s3Errors.invalidPart(stored.partNumber, stored.etag, upload.uploadId);
  const listed = Object.keys(requested.checksums) as ChecksumAlgorithm[];
  const algorithm = upload.checksumAlgorithm;
  if (!algorithm) {
    if (listed.length > 0) throw invalidPart();
    return;
  }
  const value = requested.checksums[algorithm];
  if (value === undefined) {
    if (uploadChecksumType(algorithm, upload.checksumType) === 'FULL_OBJECT') return;
    if (listed.length > 0) throw s3Errors.badPartDigest(listed[0], stored.partNumber);
    throw s3Errors.invalidRequest(
      `The upload was created using a ${algorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${stored.partNumber} in the request.`,
    );
  }
  if (value !== stored.checksum?.value) throw invalidPart();
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
  const outcome = await uploads.locks.run(uploadId, async () => {
    const done = uploads.completed.get(uploadId);
    const current = store.head(bucket, key);
    if (done && done.bucket === bucket && done.key === key && current?.etag === done.etag) return { meta: current, retried: true };
    const upload = uploads.get(uploadId, bucket, key);
    const algorithm = upload.checksumAlgorithm;
    const checksumType = algorithm ? uploadChecksumType(algorithm, upload.checksumType) : undefined;
    const askedType = req.headers['x-amz-checksum-type'];
    if (askedType !== undefined && String(askedType).toUpperCase() !== checksumType) {
      throw s3Errors.invalidRequest(`The upload was created using the ${checksumType ?? 'null'} checksum mode. The complete request must use the same checksum mode.`);
    }
    precheckWrite(call, conditions);
    const stored = new Map(uploads.parts(uploadId).map((p) => [p.partNumber, p]));
    const chosen: PartRecord[] = [];
    requested.forEach((asked, index) => {
      if (index > 0 && asked.partNumber <= requested[index - 1].partNumber) throw s3Errors.invalidPartOrder();
      const part = stored.get(asked.partNumber);
      if (!part || !sameEtag(part.etag, asked.etag)) throw s3Errors.invalidPart(asked.partNumber, asked.etag, uploadId);
      assertPartChecksums(asked, part, upload);
      chosen.push(part);
    });
    chosen.forEach((part, index) => {
      if (index < chosen.length - 1 && part.size < MIN_PART_BYTES) throw s3Errors.entityTooSmall(part.size, part.partNumber, part.etag);
    });
    const tempPath = store.tempPath();
    const assembled = await uploads.assemble(uploadId, chosen, tempPath, fullObjectAlgorithm(algorithm, checksumType));
    const partChecksums = checksumType === 'COMPOSITE' ? chosen.map((p) => p.checksum?.value ?? '') : undefined;
    const checksum = algorithm && partChecksums ? { algorithm, value: compositeChecksum(algorithm, partChecksums), type: 'COMPOSITE' as const } : assembled.checksum;
    try {
      if (checksum) assertCompleteChecksum(req.headers, { algorithm, type: checksumType }, checksum);
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
    // S3's multipart ETag: the MD5 of the parts' binary MD5s, then the part count.
    const md5OfMd5s = createHash('md5').update(Buffer.concat(chosen.map((p) => Buffer.from(p.md5Hex, 'hex')))).digest('hex');
    const staged = { tempPath, size: assembled.size, etag: `"${md5OfMd5s}-${chosen.length}"`, checksum, partsCount: chosen.length, partSizes: chosen.map((p) => p.size), partChecksums };
    const committed = await store.commit(bucket, key, staged, upload.attributes, conditions).catch(async (error) => {
      await rm(tempPath, { force: true });
      throw error;
    });
    await uploads.remove(uploadId);
    uploads.completed.set(uploadId, { bucket, key, etag: committed.etag });
    return { meta: committed, retried: false };
  });
  const { meta } = outcome;
  if (!outcome.retried) call.created(bucket, meta);
  const location = `http://${req.headers.host ?? '127.0.0.1'}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  const checksum = meta.checksum ? { [`Checksum${meta.checksum.algorithm}`]: meta.checksum.value, ChecksumType: meta.checksum.type } : {};
  sendXml(res, ctx, 'CompleteMultipartUploadResult', { Location: location, Bucket: bucket, Key: key, ETag: meta.etag, ...checksum });
};

/** `x-amz-copy-source-range: bytes=first-last`, both offsets within the source object. */
function copySourceRange(header: string | string[] | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d+)-(\d+)$/.exec(String(header));
  if (!match) {
    throw s3Errors.invalidArgument(
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      'x-amz-copy-source-range',
      String(header),
    );
  }
  const [start, end] = [Number(match[1]), Number(match[2])];
  if (end < start || end >= size) throw s3Errors.invalidArgument(`Range specified is not valid for source object of size: ${size}`, 'x-amz-copy-source-range', String(header));
  return { start, end };
}

/** UploadPartCopy: a part's bytes taken from an existing object (all of it or a range), as `aws s3 cp` between S3 locations does. */
export const uploadPartCopy: S3Operation = async (call) => {
  const { req, res, ctx, store, uploads } = call;
  const { number, uploadId, upload } = partTarget(call);
  const source = copySource(String(req.headers['x-amz-copy-source']));
  assertBucketName(source.bucket);
  assertKey(source.key);
  const { meta: sourceMeta, handle } = await store.open(source.bucket, source.key);
  const tempPath = store.tempPath();
  const copied = await copyToTemp(
    handle,
    sourceMeta.size,
    tempPath,
    () => {
      assertReadConditions(req.headers, sourceMeta, 'x-amz-copy-source-');
      return copySourceRange(req.headers['x-amz-copy-source-range'], sourceMeta.size);
    },
    upload.checksumAlgorithm,
  );
  const part = await uploads.putPart(uploadId, number, { tempPath, ...copied }).catch(async (error) => {
    await rm(tempPath, { force: true });
    throw error;
  });
  const checksum = part.checksum ? { [`Checksum${part.checksum.algorithm}`]: part.checksum.value } : {};
  sendXml(res, ctx, 'CopyPartResult', { ETag: part.etag, LastModified: part.lastModified, ...checksum });
};

/** ListMultipartUploads: uploads in progress under a prefix, rolled up by delimiter, paged by key and upload-id markers. */
export const listMultipartUploads: S3Operation = async ({ res, ctx, bucket, store, uploads, query }) => {
  store.bucket(bucket);
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const uploadIdMarker = query.get('upload-id-marker') ?? '';
  const maxText = query.get('max-uploads');
  const maxUploads = maxText === null ? 1000 : Number(maxText);
  if (!Number.isInteger(maxUploads) || maxUploads < 0) throw s3Errors.invalidArgument('Provided max-uploads not an integer or within integer range', 'max-uploads', String(maxText));
  const encode = query.get('encoding-type') === 'url' ? encodeKey : (text: string) => text;
  const after = (r: UploadRecord) => !keyMarker || r.key > keyMarker || (r.key === keyMarker && uploadIdMarker !== '' && r.uploadId > uploadIdMarker);
  const entries: Array<{ upload?: UploadRecord; prefix?: string }> = [];
  for (const record of uploads.list(bucket).filter((r) => r.key.startsWith(prefix) && after(r))) {
    const cut = delimiter ? record.key.indexOf(delimiter, prefix.length) : -1;
    if (cut < 0) entries.push({ upload: record });
    else if (!entries.some((e) => e.prefix === record.key.slice(0, cut + delimiter.length))) entries.push({ prefix: record.key.slice(0, cut + delimiter.length) });
  }
  const page = entries.slice(0, Math.min(maxUploads, 1000));
  const last = page[page.length - 1];
  const isTruncated = entries.length > page.length;
  sendXml(res, ctx, 'ListMultipartUploadsResult', {
    Bucket: bucket,
    KeyMarker: encode(keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: isTruncated && last ? encode(last.upload?.key ?? last.prefix ?? '') : undefined,
    NextUploadIdMarker: isTruncated ? last?.upload?.uploadId : undefined,
    Prefix: encode(prefix),
    Delimiter: delimiter ? encode(delimiter) : undefined,
    MaxUploads: maxUploads,
    EncodingType: query.get('encoding-type') ?? undefined,
    IsTruncated: isTruncated,
    Upload: page
      .filter((e) => e.upload)
      .map(({ upload }) => ({
        Key: encode(upload!.key),
        UploadId: upload!.uploadId,
        Initiator: OWNER,
        Owner: OWNER,
        StorageClass: 'STANDARD',
        Initiated: upload!.initiated,
        ChecksumAlgorithm: upload!.checksumAlgorithm,
        ChecksumType: upload!.checksumAlgorithm ? uploadChecksumType(upload!.checksumAlgorithm, upload!.checksumType) : undefined,
      })),
    CommonPrefixes: page.filter((e) => e.prefix !== undefined).map((e) => ({ Prefix: encode(e.prefix!) })),
  });
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
      // S3 lists part checksums of uploads created with an algorithm only.
      ...(p.checksum && upload.checksumAlgorithm ? { [`Checksum${p.checksum.algorithm}`]: p.checksum.value } : {}),
    })),
    Initiator: OWNER,
    Owner: OWNER,
    StorageClass: 'STANDARD',
    ChecksumAlgorithm: upload.checksumAlgorithm,
    ChecksumType: upload.checksumAlgorithm ? uploadChecksumType(upload.checksumAlgorithm, upload.checksumType) : undefined,
  });
};
