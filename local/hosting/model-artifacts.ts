import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { parseS3Uri } from '../../functions/lib/s3-uri';
import { HostingError } from './errors';
import type { LocalAwsClients } from './local-aws-clients';

const MARKER = '.aep-model.json';
/** Entry types a model archive may hold; links could point outside SM_MODEL_DIR, devices have no business there. */
const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/**
 * The models' extracted `model.tar.gz`, one directory per model (SageMaker also downloads a model once per
 * instance; once per model is enough on one machine). Directories survive restarts, keyed by ModelDataUrl.
 */
export class ModelArtifacts {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly root: string,
    private readonly aws: LocalAwsClients,
  ) {}

  /** The SM_MODEL_DIR for a model: its archive downloaded from S3 and extracted (empty without ModelDataUrl). */
  directory(modelName: string, modelDataUrl: string | undefined): Promise<string> {
    const key = `${modelName}\n${modelDataUrl ?? ''}`;
    let dir = this.pending.get(key);
    if (!dir) {
      dir = this.prepare(modelName, modelDataUrl);
      this.pending.set(key, dir);
      dir.catch(() => this.pending.delete(key));
    }
    return dir;
  }

  private async prepare(modelName: string, modelDataUrl: string | undefined): Promise<string> {
    const dir = join(this.root, modelName);
    if (isReady(dir, modelDataUrl)) return dir;
    const work = `${dir}.partial-${process.pid}-${Date.now()}`;
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    try {
      if (modelDataUrl) {
        const archive = `${work}.tar.gz`;
        await this.download(modelDataUrl, archive);
        try {
          await extractSafely(archive, work, modelDataUrl);
        } finally {
          await rm(archive, { force: true });
        }
      }
      await writeFile(join(work, MARKER), JSON.stringify({ modelDataUrl: modelDataUrl ?? null }));
      await rm(dir, { recursive: true, force: true });
      await rename(work, dir);
      return dir;
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
  }

  private async download(modelDataUrl: string, file: string): Promise<void> {
    const location = parseS3Uri(modelDataUrl);
    if (!location) throw new HostingError(`ModelDataUrl ${modelDataUrl} is not an s3://bucket/key URI.`);
    try {
      const object = await this.aws.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      await pipeline(object.Body as Readable, createWriteStream(file));
    } catch (error) {
      throw new HostingError(
        `Failed to download model data from ${modelDataUrl}: ${(error as Error).name}: ${(error as Error).message}. Check that the object exists.`,
      );
    }
  }
}

function isReady(dir: string, modelDataUrl: string | undefined): boolean {
  const marker = join(dir, MARKER);
  if (!existsSync(marker)) return false;
  try {
    return JSON.parse(readFileSync(marker, 'utf8')).modelDataUrl === (modelDataUrl ?? null);
  } catch {
    return false;
  }
}

/** Extracts a gzip tar into `dir`, refusing absolute paths, `..`, links and special files instead of skipping them. */
export async function extractSafely(archive: string, dir: string, label: string): Promise<void> {
  const handle = await open(archive, 'r');
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0);
  await handle.close();
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) {
    throw new HostingError(`Model data ${label} is not a gzip-compressed tar archive (model.tar.gz).`);
  }
  const refused: string[] = [];
  try {
    await tar.x({
      file: archive,
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
        return true;
      },
    });
  } catch (error) {
    throw new HostingError(`Model data ${label} could not be extracted: ${(error as Error).message}`);
  }
  if (refused.length > 0) {
    throw new HostingError(`Model data ${label} has entries that cannot be extracted safely: ${refused.slice(0, 5).join(', ')}.`);
  }
}
