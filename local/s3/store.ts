import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { ensureDir, hashedName, KeyedMutex, listDirSync, readJsonFileSync, writeFileAtomic } from '../data-dir';
import { CHECKSUM_ALGORITHMS, createChecksum } from '../protocols/checksums';
import { DEFAULT_OBJECT_CHECKSUM } from './receive-body';
import { s3Errors } from './errors';
import { assertBucketName, compareKeys } from './names';
import { encodeTrailer, readTrailerSync } from './object-trailer';
import { readBytesSync, SMALL_OBJECT_BYTES } from './small-objects';

const bucketRecordSchema = z.object({ name: z.string(), creationDate: z.string(), region: z.string() });
export type BucketRecord = z.infer<typeof bucketRecordSchema>;

export const storedChecksumSchema = z.object({
  algorithm: z.enum(CHECKSUM_ALGORITHMS),
  value: z.string(),
  type: z.enum(['FULL_OBJECT', 'COMPOSITE']),
});
export type StoredChecksum = z.infer<typeof storedChecksumSchema>;

/** What S3 keeps about an object besides its bytes; in memory, and in the trailer of the object's data file. */
const objectMetaSchema = z.object({
  key: z.string(),
  size: z.number().int().min(0),
  /** Quoted, as S3 sends it: `"<md5>"` or `"<md5-of-md5s>-<parts>"`. */
  etag: z.string(),
  lastModified: z.string(),
  contentType: z.string(),
  /** User metadata (`x-amz-meta-*`), names lower-cased without the prefix. */
  metadata: z.record(z.string(), z.string()),
  /** Stored representation headers: content-encoding, content-disposition, cache-control, content-language, expires. */
  headers: z.record(z.string(), z.string()),
  checksum: storedChecksumSchema.optional(),
  partsCount: z.number().int().optional(),
  /** Sizes of a multipart object's parts, in order: GET/HEAD with `partNumber` serves one of them. */
  partSizes: z.array(z.number().int().min(0)).optional(),
  /** A COMPOSITE multipart object's part checksums, in order: GET/HEAD with `partNumber` returns one of them. */
  partChecksums: z.array(z.string()).optional(),
  /** The data file's name in the bucket's object directory; a name this store made, never the key. */
  dataFile: z.string().regex(/^[0-9a-f]{64}\.[0-9a-f-]{36}\.data$/),
});
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** The trailer of a data file: the metadata, and the store-wide write sequence number that says which file is newest. */
const trailerSchema = objectMetaSchema.omit({ dataFile: true }).extend({ version: z.number().int().min(0) });
const DATA_FILE = /^([0-9a-f]{64})\.[0-9a-f-]{36}\.data$/;
const LEGACY_SIDECAR = /^[0-9a-f]{64}\.json$/;

/** Content-type, user metadata and representation headers given on a write. */
export type ObjectAttributes = Pick<ObjectMeta, 'contentType' | 'metadata' | 'headers'>;

/** A body already on disk in the temp dir, waiting to become an object. */
export interface StagedObject {
  tempPath: string;
  size: number;
  etag: string;
  checksum?: StoredChecksum;
  partsCount?: number;
  partSizes?: number[];
  partChecksums?: string[];
}

/** S3 conditional-write headers; both are checked atomically with the write. */
export interface WriteConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

interface Bucket {
  record: BucketRecord;
  objects: Map<string, ObjectMeta>;
  sorted?: string[];
}

const unquote = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

/** True when an `If-Match`/`If-None-Match` value (a list of ETags or `*`) names `etag`. */
export function etagMatches(header: string, etag: string): boolean {
  return header.split(',').some((candidate) => candidate.trim() === '*' || unquote(candidate) === unquote(etag));
}

/**
 * The buckets and objects of the embedded S3, on disk under `<dataDir>/s3/`:
 *   buckets/<bucket>.json                    bucket record
 *   objects/<bucket>/<sha256(key)>.<id>.data the bytes, then the metadata (key, size, etag, …, write sequence number)
 *                                            in a trailer (object-trailer.ts); a new file per write
 *   tmp/                                     bodies being received
 * A write is complete in its temp file (bytes and trailer) before the rename into the bucket's directory, which is the
 * commit point: a crash (kill -9) leaves the old object or the new one, never a mix, and at start-up the file with the
 * highest sequence number of a key is the object (older ones are what a crash left between rename and unlink).
 * One file per object version, no metadata file beside it. Metadata is indexed in memory; bodies never are.
 */
export class S3Store {
  private readonly buckets = new Map<string, Bucket>();
  private readonly locks = new KeyedMutex();
  private readonly root: string;
  /** The next write's sequence number: above every one on disk, so the newest file of a key wins at load. */
  private nextVersion = 1;
  readonly tempDir: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 's3');
    this.tempDir = join(this.root, 'tmp');
    rmSync(this.tempDir, { recursive: true, force: true });
    ensureDir(this.tempDir);
    ensureDir(join(this.root, 'buckets'));
    ensureDir(join(this.root, 'objects'));
    this.load();
  }

  /** A fresh path in the temp dir, on the same file system as the objects so a rename commits it. */
  tempPath(): string {
    return join(this.tempDir, randomUUID());
  }

  listBuckets(): BucketRecord[] {
    return [...this.buckets.values()].map((b) => b.record).sort((a, b) => compareKeys(a.name, b.name));
  }

  bucket(name: string): BucketRecord {
    return this.requireBucket(name).record;
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  async createBucket(name: string, region: string): Promise<BucketRecord> {
    assertBucketName(name);
    if (this.buckets.has(name)) throw s3Errors.bucketAlreadyOwnedByYou(name);
    const record: BucketRecord = { name, creationDate: new Date().toISOString(), region };
    this.buckets.set(name, { record, objects: new Map() });
    ensureDir(this.objectDir(name));
    await writeFileAtomic(this.bucketFile(name), JSON.stringify(record));
    return record;
  }

  async deleteBucket(name: string): Promise<void> {
    const bucket = this.requireBucket(name);
    if (bucket.objects.size > 0) throw s3Errors.bucketNotEmpty(name);
    this.buckets.delete(name);
    await rm(this.bucketFile(name), { force: true });
    await rm(this.objectDir(name), { recursive: true, force: true });
  }

  /** The object's metadata; NoSuchBucket when the bucket is missing, undefined when the key is. */
  head(bucket: string, key: string): ObjectMeta | undefined {
    return this.requireBucket(bucket).objects.get(key);
  }

  /** All keys of a bucket in S3's listing order (UTF-8 byte order). */
  sortedKeys(bucket: string): readonly string[] {
    const b = this.requireBucket(bucket);
    b.sorted ??= [...b.objects.keys()].sort(compareKeys);
    return b.sorted;
  }

  /**
   * Opens an object's bytes. The handle stays valid if the object is replaced meanwhile (the old file is only
   * unlinked); a replace between reading the metadata and opening is retried.
   */
  async open(bucket: string, key: string): Promise<{ meta: ObjectMeta; handle: FileHandle }> {
    for (let attempt = 0; ; attempt++) {
      const meta = this.head(bucket, key);
      if (!meta) throw s3Errors.noSuchKey(key);
      try {
        return { meta, handle: await open(join(this.objectDir(bucket), meta.dataFile), 'r') };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 2) throw error;
      }
    }
  }

  /**
   * A small object's metadata and bytes, read at once (see SMALL_OBJECT_BYTES); undefined for a larger one, which is
   * opened and streamed. Synchronous from the index lookup to the read, so no replace can come between them.
   */
  readSmall(bucket: string, key: string): { meta: ObjectMeta; bytes: Buffer } | undefined {
    const meta = this.head(bucket, key);
    if (!meta) throw s3Errors.noSuchKey(key);
    if (meta.size > SMALL_OBJECT_BYTES) return undefined;
    try {
      return { meta, bytes: readBytesSync(join(this.objectDir(bucket), meta.dataFile), meta.size) };
    } catch (error) {
      // Indexed but gone: a delete has removed the file (its commit point) and not yet the index entry.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw s3Errors.noSuchKey(key);
      throw error;
    }
  }

  /**
   * Makes a staged body the object at `key`, checking the write conditions and committing under the key's lock,
   * so of two concurrent `If-None-Match: *` writes exactly one wins.
   */
  async commit(
    bucket: string,
    key: string,
    staged: StagedObject,
    attributes: ObjectAttributes,
    conditions: WriteConditions = {},
  ): Promise<ObjectMeta> {
    return this.locks.run(`${bucket}/${key}`, async () => {
      const current = this.requireBucket(bucket).objects.get(key);
      assertWriteConditions(key, current, conditions);
      const { meta, trailer } = this.version(key, staged, attributes);
      appendFileSync(staged.tempPath, trailer);
      return this.install(bucket, current, staged.tempPath, meta);
    });
  }

  /**
   * Stores bytes already in memory as an unconditional PutObject without a checksum would: with S3's default
   * checksum, in one write of bytes and trailer, one rename.
   */
  async put(bucket: string, key: string, body: Buffer, attributes: ObjectAttributes): Promise<ObjectMeta> {
    return this.locks.run(`${bucket}/${key}`, async () => {
      const current = this.requireBucket(bucket).objects.get(key);
      const crc = createChecksum(DEFAULT_OBJECT_CHECKSUM);
      crc.update(body);
      const staged = {
        tempPath: this.tempPath(),
        size: body.length,
        etag: `"${createHash('md5').update(body).digest('hex')}"`,
        checksum: { algorithm: DEFAULT_OBJECT_CHECKSUM, value: crc.digestBase64(), type: 'FULL_OBJECT' as const },
      };
      const { meta, trailer } = this.version(key, staged, attributes);
      try {
        if (body.length <= SMALL_OBJECT_BYTES) writeFileSync(staged.tempPath, Buffer.concat([body, trailer]));
        else await writeFile(staged.tempPath, [body, trailer]);
        return await this.install(bucket, current, staged.tempPath, meta);
      } catch (error) {
        await rm(staged.tempPath, { force: true });
        throw error;
      }
    });
  }

  /** The metadata of a new version of `key`, and the trailer that records it in the data file. */
  private version(key: string, staged: Omit<StagedObject, 'tempPath'>, attributes: ObjectAttributes): { meta: ObjectMeta; trailer: Buffer } {
    const meta: ObjectMeta = {
      key,
      size: staged.size,
      etag: staged.etag,
      lastModified: new Date().toISOString(),
      ...attributes,
      checksum: staged.checksum,
      partsCount: staged.partsCount,
      partSizes: staged.partSizes,
      partChecksums: staged.partChecksums,
      dataFile: `${hashedName(key)}.${randomUUID()}.data`,
    };
    const { dataFile: _name, ...recorded } = meta;
    return { meta, trailer: encodeTrailer({ ...recorded, version: this.nextVersion++ }) };
  }

  /**
   * The commit point: the complete file renamed in; then the index, then the replaced version's file removed. The
   * rename and the index change are one synchronous step, so a reader never finds the index naming a file not yet
   * there (readSmall relies on it).
   */
  private async install(bucket: string, current: ObjectMeta | undefined, tempPath: string, meta: ObjectMeta): Promise<ObjectMeta> {
    const b = this.requireBucket(bucket);
    const dir = this.objectDir(bucket);
    renameSync(tempPath, join(dir, meta.dataFile));
    if (!current) b.sorted = undefined;
    b.objects.set(meta.key, meta);
    if (current) await rm(join(dir, current.dataFile), { force: true });
    return meta;
  }

  /** Deletes a key (S3 deletes are idempotent); `If-Match` makes it conditional. Returns whether it existed. */
  async delete(bucket: string, key: string, conditions: WriteConditions = {}): Promise<boolean> {
    return this.locks.run(`${bucket}/${key}`, async () => {
      const b = this.requireBucket(bucket);
      const current = b.objects.get(key);
      if (conditions.ifMatch !== undefined) assertWriteConditions(key, current, { ifMatch: conditions.ifMatch });
      if (!current) return false;
      // Removing the one data file is the commit point of a delete.
      await rm(join(this.objectDir(bucket), current.dataFile), { force: true });
      b.objects.delete(key);
      b.sorted = undefined;
      return true;
    });
  }

  private requireBucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw s3Errors.noSuchBucket(name);
    return bucket;
  }

  private bucketFile(name: string): string {
    return join(this.root, 'buckets', `${name}.json`);
  }

  private objectDir(name: string): string {
    return join(this.root, 'objects', name);
  }

  /**
   * Rebuilds the index from the data files' trailers and removes what a crash left behind: older versions of a key,
   * files without a whole trailer, temp files. Objects stored with a metadata sidecar (before trailers) are converted.
   */
  private load(): void {
    for (const file of listDirSync(join(this.root, 'buckets'))) {
      if (!file.endsWith('.json')) continue;
      const record = readJsonFileSync(join(this.root, 'buckets', file), bucketRecordSchema);
      if (!record || `${record.name}.json` !== file) continue;
      const bucket: Bucket = { record, objects: new Map() };
      this.buckets.set(record.name, bucket);
      const dir = ensureDir(this.objectDir(record.name));
      for (const entry of listDirSync(dir)) if (LEGACY_SIDECAR.test(entry)) convertSidecar(dir, entry);
      const newest = new Map<string, { meta: ObjectMeta; version: number }>();
      const stale: string[] = [];
      for (const entry of listDirSync(dir)) {
        const hash = DATA_FILE.exec(entry)?.[1];
        const trailer = hash && readTrailerSync(join(dir, entry), trailerSchema);
        if (!trailer || hashedName(trailer.key) !== hash) {
          stale.push(entry);
          continue;
        }
        const { version, ...meta } = trailer;
        this.nextVersion = Math.max(this.nextVersion, version + 1);
        const known = newest.get(meta.key);
        if (known && known.version > version) {
          stale.push(entry);
          continue;
        }
        if (known) stale.push(known.meta.dataFile);
        newest.set(meta.key, { meta: { ...meta, dataFile: entry }, version });
      }
      for (const { meta } of newest.values()) bucket.objects.set(meta.key, meta);
      for (const entry of stale) rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
}

/** An object stored as data file + metadata sidecar: the metadata becomes the data file's trailer, the sidecar goes. */
function convertSidecar(dir: string, sidecar: string): void {
  const meta = readJsonFileSync(join(dir, sidecar), objectMetaSchema);
  const dataPath = meta && join(dir, meta.dataFile);
  if (meta && dataPath && `${hashedName(meta.key)}.json` === sidecar && existsSync(dataPath)) {
    const { dataFile: _name, ...recorded } = meta;
    // Cut back to the bytes first: a conversion a crash interrupted is simply done again.
    truncateSync(dataPath, meta.size);
    appendFileSync(dataPath, encodeTrailer({ ...recorded, version: 0 }));
  }
  rmSync(join(dir, sidecar), { force: true });
}

/** S3's conditional-write rules: If-None-Match `*` fails when the key exists; If-Match fails on another ETag, 404 when absent. */
function assertWriteConditions(key: string, current: ObjectMeta | undefined, conditions: WriteConditions): void {
  if (conditions.ifNoneMatch !== undefined && current) throw s3Errors.preconditionFailed('If-None-Match');
  if (conditions.ifMatch !== undefined) {
    if (!current) throw s3Errors.noSuchKey(key);
    if (!etagMatches(conditions.ifMatch, current.etag)) throw s3Errors.preconditionFailed('If-Match');
  }
}
