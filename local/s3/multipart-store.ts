import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import * as z from 'zod';
import { ensureDir, KeyedMutex, listDirSync, readJsonFileSync, writeFileAtomic } from '../data-dir';
import { CHECKSUM_ALGORITHMS, createChecksum, type ChecksumAlgorithm } from '../protocols/checksums';
import { s3Errors } from './errors';
import type { ReceivedBody } from './receive-body';
import { storedChecksumSchema, type ObjectAttributes, type StoredChecksum } from './store';

const UPLOAD_ID = /^[A-Za-z0-9_-]{32}$/;

const uploadSchema = z.object({
  uploadId: z.string().regex(UPLOAD_ID),
  bucket: z.string(),
  key: z.string(),
  initiated: z.string(),
  attributes: z.object({ contentType: z.string(), metadata: z.record(z.string(), z.string()), headers: z.record(z.string(), z.string()) }),
  checksumAlgorithm: z.enum(CHECKSUM_ALGORITHMS).optional(),
  checksumType: z.enum(['COMPOSITE', 'FULL_OBJECT']).optional(),
});
export type UploadRecord = z.infer<typeof uploadSchema>;

const partSchema = z.object({
  partNumber: z.number().int().min(1).max(10_000),
  etag: z.string(),
  size: z.number().int().min(0),
  lastModified: z.string(),
  md5Hex: z.string().regex(/^[0-9a-f]{32}$/),
  checksum: storedChecksumSchema.optional(),
  dataFile: z.string().regex(/^part-\d{1,5}\.[0-9a-f-]{36}\.data$/),
});
export type PartRecord = z.infer<typeof partSchema>;

interface Upload {
  record: UploadRecord;
  parts: Map<number, PartRecord>;
}

/**
 * Multipart uploads in progress, under `<dataDir>/s3/uploads/<uploadId>/`: `upload.json`, and per part a data file
 * plus `part-<n>.json` naming it (re-uploading a part replaces it atomically, as in S3). Survives a restart.
 */
export class MultipartStore {
  private readonly uploads = new Map<string, Upload>();
  private readonly root: string;
  /** Serializes work per upload id (parts vs complete/abort) and per part number. */
  readonly locks = new KeyedMutex();

  constructor(dataDir: string) {
    this.root = ensureDir(join(dataDir, 's3', 'uploads'));
    this.load();
  }

  async create(bucket: string, key: string, attributes: ObjectAttributes, checksum: Pick<UploadRecord, 'checksumAlgorithm' | 'checksumType'>): Promise<UploadRecord> {
    const uploadId = randomBytes(24).toString('base64url');
    const record: UploadRecord = { uploadId, bucket, key, initiated: new Date().toISOString(), attributes, ...checksum };
    ensureDir(this.dir(uploadId));
    await writeFileAtomic(join(this.dir(uploadId), 'upload.json'), JSON.stringify(record));
    this.uploads.set(uploadId, { record, parts: new Map() });
    return record;
  }

  /** The upload, if it exists and belongs to this bucket and key; else NoSuchUpload. */
  get(uploadId: string, bucket: string, key: string): UploadRecord {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.record.bucket !== bucket || upload.record.key !== key) throw s3Errors.noSuchUpload(uploadId);
    return upload.record;
  }

  /** Uploads in progress in a bucket, in ListMultipartUploads order: by key, then by initiation time. */
  list(bucket: string): UploadRecord[] {
    return [...this.uploads.values()]
      .map((u) => u.record)
      .filter((r) => r.bucket === bucket)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated.localeCompare(b.initiated)));
  }

  parts(uploadId: string): PartRecord[] {
    return [...(this.uploads.get(uploadId)?.parts.values() ?? [])].sort((a, b) => a.partNumber - b.partNumber);
  }

  async putPart(uploadId: string, partNumber: number, body: ReceivedBody): Promise<PartRecord> {
    return this.locks.run(`${uploadId}#${partNumber}`, async () => {
      const upload = this.uploads.get(uploadId);
      if (!upload) throw s3Errors.noSuchUpload(uploadId);
      const part: PartRecord = {
        partNumber,
        etag: `"${body.md5Hex}"`,
        size: body.size,
        lastModified: new Date().toISOString(),
        md5Hex: body.md5Hex,
        checksum: body.checksum,
        dataFile: `part-${partNumber}.${randomUUID()}.data`,
      };
      const dir = this.dir(uploadId);
      await rename(body.tempPath, join(dir, part.dataFile));
      await writeFileAtomic(join(dir, `part-${partNumber}.json`), JSON.stringify(part));
      const previous = upload.parts.get(partNumber);
      upload.parts.set(partNumber, part);
      if (previous) await rm(join(dir, previous.dataFile), { force: true });
      return part;
    });
  }

  /**
   * Concatenates parts, in order, into `tempPath`, streaming from disk; computes the full-object checksum of
   * `algorithm` on the way, if given (so a GET can return one the SDKs verify).
   */
  async assemble(uploadId: string, parts: PartRecord[], tempPath: string, algorithm?: ChecksumAlgorithm): Promise<{ size: number; checksum?: StoredChecksum }> {
    const checksum = algorithm ? createChecksum(algorithm) : undefined;
    const out = createWriteStream(tempPath);
    let size = 0;
    try {
      for (const part of parts) {
        for await (const chunk of createReadStream(join(this.dir(uploadId), part.dataFile))) {
          checksum?.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          if (!out.write(chunk)) await once(out, 'drain');
        }
      }
      out.end();
      await finished(out);
    } catch (error) {
      out.destroy();
      await rm(tempPath, { force: true });
      throw error;
    }
    return { size, checksum: algorithm && checksum ? { algorithm, value: checksum.digestBase64(), type: 'FULL_OBJECT' } : undefined };
  }

  /**
   * Completed uploads by id (bucket, key, ETag), so a CompleteMultipartUpload retried after a lost response answers
   * the object it made, as S3 does, instead of NoSuchUpload. Kept for the life of the process.
   */
  readonly completed = new Map<string, { bucket: string; key: string; etag: string }>();

  async remove(uploadId: string): Promise<void> {
    this.uploads.delete(uploadId);
    await rm(this.dir(uploadId), { recursive: true, force: true });
  }

  /** The upload's directory; the id is checked first, so a client-sent id can never name another path. */
  private dir(uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw s3Errors.noSuchUpload(uploadId);
    return join(this.root, uploadId);
  }

  private load(): void {
    for (const uploadId of listDirSync(this.root)) {
      if (!UPLOAD_ID.test(uploadId)) continue;
      const dir = join(this.root, uploadId);
      const record = readJsonFileSync(join(dir, 'upload.json'), uploadSchema);
      if (!record || record.uploadId !== uploadId) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const parts = new Map<number, PartRecord>();
      const entries = listDirSync(dir);
      for (const entry of entries) {
        if (!/^part-\d+\.json$/.test(entry)) continue;
        const part = readJsonFileSync(join(dir, entry), partSchema);
        if (part && entry === `part-${part.partNumber}.json`) parts.set(part.partNumber, part);
      }
      const live = new Set([...parts.values()].map((p) => p.dataFile));
      for (const entry of entries) {
        if ((entry.endsWith('.data') && !live.has(entry)) || entry.endsWith('.tmp')) rmSync(join(dir, entry), { force: true });
      }
      this.uploads.set(uploadId, { record, parts });
    }
  }
}
