import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { parseS3Uri } from '../../functions/lib/s3-uri';
import { hashedName } from '../data-dir';
import { HostingError } from './errors';
import type { LocalAwsClients } from './local-aws-clients';

const MARKER = '.aep-model.json';

/** Loaded with the first model download, not at start-up (with tar, most of the embedded AWS's start-up otherwise). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const s3Commands = () => require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
/** Entry types a model archive may hold; links could point outside SM_MODEL_DIR, devices have no business there. */
const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/**
 * The models' extracted `model.tar.gz` (SageMaker also downloads a model once per instance; once per model is enough
 * on one machine): `<root>/<model name>/<artifact identity>/`, the identity being the URL with the object's ETag and
 * version. A model re-created under the same name and URL over a new upload gets a new directory, never the previous
 * artifact's files; the older ones of that model are removed, and DeleteModel removes the model's folder.
 */
export class ModelArtifacts {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly root: string,
    private readonly aws: LocalAwsClients,
    private readonly limits: ExtractionLimits = DEFAULT_EXTRACTION_LIMITS,
  ) {}

  /** The SM_MODEL_DIR for a model: its archive downloaded from S3 and extracted (empty without ModelDataUrl). */
  async directory(modelName: string, modelDataUrl: string | undefined): Promise<string> {
    const artifact = modelDataUrl ? await this.identify(modelDataUrl) : undefined;
    const identity = artifact ? `${modelDataUrl}\n${artifact.etag}\n${artifact.versionId ?? ''}` : '';
    const dir = join(this.root, modelName, hashedName(identity).slice(0, 20));
    let ready = this.pending.get(dir);
    if (!ready) {
      ready = this.prepare(modelName, dir, modelDataUrl, artifact?.etag);
      this.pending.set(dir, ready);
      ready.catch(() => this.pending.delete(dir));
    }
    return ready;
  }

  /** Removes a deleted model's files; processes already running keep the files they opened. */
  async remove(modelName: string): Promise<void> {
    const folder = join(this.root, modelName);
    for (const dir of this.pending.keys()) if (dir.startsWith(`${folder}/`)) this.pending.delete(dir);
    await rm(folder, { recursive: true, force: true });
  }

  private async prepare(modelName: string, dir: string, modelDataUrl: string | undefined, etag: string | undefined): Promise<string> {
    if (existsSync(join(dir, MARKER))) return dir;
    const work = `${dir}.partial-${process.pid}-${Date.now()}`;
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    try {
      if (modelDataUrl) {
        const archive = `${work}.tar.gz`;
        await this.download(modelDataUrl, etag, archive);
        try {
          await extractSafely(archive, work, modelDataUrl, this.limits);
        } finally {
          await rm(archive, { force: true });
        }
      }
      await writeFile(join(work, MARKER), JSON.stringify({ modelDataUrl: modelDataUrl ?? null, etag: etag ?? null }));
      await rm(dir, { recursive: true, force: true });
      await rename(work, dir);
      await this.removeOtherVersions(modelName, dir);
      return dir;
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
  }

  /** Earlier artifacts of the same model (and the flat layout of older versions of aep); not one being extracted. */
  private async removeOtherVersions(modelName: string, keep: string): Promise<void> {
    const folder = join(this.root, modelName);
    for (const name of await readdir(folder)) {
      const path = join(folder, name);
      if (path === keep || name.includes('.partial-')) continue;
      this.pending.delete(path);
      await rm(path, { recursive: true, force: true });
    }
  }

  private async identify(modelDataUrl: string): Promise<{ etag: string; versionId?: string }> {
    const location = parseS3Uri(modelDataUrl);
    if (!location) throw new HostingError(`ModelDataUrl ${modelDataUrl} is not an s3://bucket/key URI.`);
    try {
      const head = await this.aws.s3.send(new (s3Commands().HeadObjectCommand)({ Bucket: location.bucket, Key: location.key }));
      return { etag: head.ETag ?? '', ...(head.VersionId ? { versionId: head.VersionId } : {}) };
    } catch (error) {
      throw downloadFailed(modelDataUrl, error);
    }
  }

  private async download(modelDataUrl: string, etag: string | undefined, file: string): Promise<void> {
    const location = parseS3Uri(modelDataUrl)!; // identify() checked it
    try {
      // IfMatch: the bytes extracted are the artifact the directory is named after, even if it is replaced meanwhile
      const object = await this.aws.s3.send(new (s3Commands().GetObjectCommand)({ Bucket: location.bucket, Key: location.key, IfMatch: etag || undefined }));
      await pipeline(object.Body as Readable, createWriteStream(file));
    } catch (error) {
      throw downloadFailed(modelDataUrl, error);
    }
  }
}

function downloadFailed(modelDataUrl: string, error: unknown): HostingError {
  // A HEAD has no body, so the SDK can only say "NotFound: UnknownError": name it as S3 does for a missing key.
  const e = error as Error;
  const reason = e.name === 'NotFound' ? 'NoSuchKey: The specified key does not exist' : `${e.name}: ${e.message}`;
  return new HostingError(`Failed to download model data from ${modelDataUrl}: ${reason}. Check that the object exists.`);
}

/** How far a model.tar.gz may expand: it is the uploader's data, and a gzip bomb inflates a thousandfold. */
export interface ExtractionLimits {
  /** Bytes of the uncompressed tar stream (file contents and headers). */
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_EXTRACTION_LIMITS: ExtractionLimits = { maxBytes: 8 * 1024 ** 3, maxEntries: 100_000 };

/** Inflated bytes are handed to tar this many at a time: memory stays bounded whatever the compression ratio. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Extracts a gzip tar into `dir`, refusing absolute paths, `..`, links and special files instead of skipping them,
 * and stopping at `limits`. It streams: the archive is read, inflated and unpacked 64 KiB at a time with
 * backpressure, and the inflated bytes are counted before tar sees them (tar's own file mode inflates a 16 MiB read
 * at once, which a bomb turns into gigabytes of memory before any check runs).
 */
export async function extractSafely(archive: string, dir: string, label: string, limits = DEFAULT_EXTRACTION_LIMITS): Promise<void> {
  const handle = await open(archive, 'r');
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0);
  await handle.close();
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) {
    throw new HostingError(`Model data ${label} is not a gzip-compressed tar archive (model.tar.gz).`);
  }
  const refused: string[] = [];
  let entries = 0;
  let overCap: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tar = require('tar') as typeof import('tar');
  const unpack = new tar.Unpack({
    cwd: dir,
    strict: true,
    preservePaths: false,
    filter: (path, entry) => {
      const type = 'type' in entry ? entry.type : 'File';
      const escapes = isAbsolute(path) || path.split(/[\\/]/).includes('..');
      if (escapes || !ALLOWED_TYPES.has(type)) {
        refused.push(`${path} (${escapes ? 'outside the model directory' : type})`);
        return false;
      }
      if (++entries > limits.maxEntries) overCap ??= `more than ${limits.maxEntries} entries (hosting.maxModelEntries)`;
      return overCap === undefined;
    },
  });
  let inflated = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > limits.maxBytes) overCap ??= `more than ${formatBytes(limits.maxBytes)} (hosting.maxModelBytes)`;
      done(overCap === undefined ? null : new ExtractionCapExceeded(), overCap === undefined ? chunk : undefined);
    },
  });
  const source = createReadStream(archive, { highWaterMark: CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });

  let failure: Error | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const stop = (error: Error) => {
        source.destroy();
        gunzip.destroy();
        counter.unpipe(unpack);
        // let the entries tar already started finish writing, so nothing lands in the directory after it is removed
        unpack.removeAllListeners('error');
        unpack.on('error', () => undefined);
        unpack.once('close', () => reject(error));
        unpack.end();
      };
      for (const stream of [source, gunzip, counter]) stream.once('error', stop);
      unpack.once('error', reject);
      unpack.once('close', resolve);
      source.pipe(gunzip).pipe(counter).pipe(unpack);
    });
  } catch (error) {
    failure = error as Error;
  }
  if (overCap) {
    throw new HostingError(`Model data ${label} expands beyond the extraction cap: ${overCap}. Make the archive smaller, or raise the cap in aep.local.json.`);
  }
  if (failure) throw new HostingError(`Model data ${label} could not be extracted: ${failure.message}`);
  if (refused.length > 0) {
    throw new HostingError(`Model data ${label} has entries that cannot be extracted safely: ${refused.slice(0, 5).join(', ')}.`);
  }
}

class ExtractionCapExceeded extends Error {
  override readonly name = 'ExtractionCapExceeded';
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(0)} MiB` : `${bytes} bytes`;
}
