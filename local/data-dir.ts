import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as z from 'zod';

/**
 * Persistence helpers for the embedded AWS's data dir. Names on disk are never taken from user input
 * (a key, a topic name): they are hashes or ids the service made, so nothing a client sends can name a path.
 */

/** A file name for an arbitrary string (an S3 key, a name): sha256 hex, fixed length, no path characters. */
export function hashedName(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Creates a directory (and its parents) if needed; returns it. */
export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * Writes a whole file so readers see the old or the new content, never half of it: a temp file in the same
 * directory, then rename (atomic within one file system).
 */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = join(dirname(path), `.${randomUUID()}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Applies a request's change in memory, then writes it; when the write fails (a full disk) `undo` takes the change
 * back and the error is thrown: the request fails with nothing changed, and succeeds when it is made again.
 */
export async function changeThenWrite(change: () => void, write: () => Promise<void>, undo: () => void): Promise<void> {
  change();
  try {
    await write();
  } catch (error) {
    undo();
    throw error;
  }
}

/**
 * Reads and validates a JSON file written by the embedded AWS; undefined when it is absent or unreadable
 * (a record torn by a crash is treated as never written rather than taking the whole service down).
 */
export function readJsonFileSync<S extends z.ZodType>(path: string, schema: S): z.infer<S> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The entries of a directory, or none when it does not exist. */
export function listDirSync(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * Serializes async work per key (an S3 key, an upload id): each job starts after the previous one for the same key
 * settled. What makes a check-then-write (conditional put) atomic within this process.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(job, job);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
