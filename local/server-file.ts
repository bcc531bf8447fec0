import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `<dataDir>/server.json`: which embedded AWS serves a data dir. It is the data dir's lock — two servers writing the
 * same objects and endpoints would corrupt them — and it is how `aep … --local` finds the port `aep local up` was
 * started on. A file left by a server that died (its pid is gone) is taken over.
 */
export interface ServerFile {
  url: string;
  pid: number;
  startedAt: string;
}

export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
}

const heldHere = new Set<string>();

export function serverFilePath(dataDir: string): string {
  return join(dataDir, 'server.json');
}

export interface DataDirLock {
  /** Records the URL the server listens on, for `--local`. */
  publish(url: string): void;
  release(): void;
}

/** Takes the data dir for this process; throws DataDirInUse when a live server holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = serverFilePath(dataDir);
  const holder = readServerFile(dataDir);
  if (heldHere.has(path) || (holder && holder.pid !== process.pid && isAlive(holder.pid))) {
    const where = holder?.url ? ` at ${holder.url}` : '';
    throw new DataDirInUse(
      `The data dir ${dataDir} is in use by another embedded AWS${where} (pid ${holder?.pid ?? process.pid}): stop it, or give this one its own --data-dir / AEP_DATA_DIR`,
    );
  }
  // Exclusive create; a stale file (dead pid) is replaced.
  rmSync(path, { force: true });
  closeSync(openSync(path, 'wx'));
  heldHere.add(path);
  const write = (url: string) => writeFileSync(path, `${JSON.stringify({ url, pid: process.pid, startedAt: new Date().toISOString() } satisfies ServerFile)}\n`);
  write('');
  return {
    publish: write,
    release() {
      heldHere.delete(path);
      rmSync(path, { force: true });
    },
  };
}

/** The server file of a data dir, or undefined when there is none (or it is unreadable). */
export function readServerFile(dataDir: string): ServerFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(serverFilePath(dataDir), 'utf8')) as Partial<ServerFile>;
    return typeof parsed.pid === 'number' ? { url: String(parsed.url ?? ''), pid: parsed.pid, startedAt: String(parsed.startedAt ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** The URL of a live embedded AWS serving the data dir, if any. */
export function runningServerUrl(dataDir: string): string | undefined {
  const file = readServerFile(dataDir);
  return file?.url && isAlive(file.pid) ? file.url : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
