import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type * as z from 'zod';

/**
 * An object's metadata kept in its own data file, after the bytes: `<bytes><metadata JSON><u32 BE length><magic>`.
 * One file per object version, so storing an object is one write and one rename, with no sidecar to keep in step.
 * A file cut short by a crash has no valid trailer and is recognized as never committed.
 */
const MAGIC = Buffer.from('AEPOBJ01', 'latin1');
const FIXED_BYTES = 4 + MAGIC.length;

export function encodeTrailer(metadata: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(metadata), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([json, length, MAGIC]);
}

/**
 * The metadata a data file's trailer holds, when the trailer is whole and describes exactly the bytes before it
 * (`size` of the parsed metadata); undefined for a file without one (torn, or written before trailers existed).
 */
export function readTrailerSync<S extends z.ZodType<{ size: number }>>(path: string, schema: S): z.infer<S> | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const fileSize = fstatSync(fd).size;
    if (fileSize < FIXED_BYTES) return undefined;
    const fixed = Buffer.alloc(FIXED_BYTES);
    readSync(fd, fixed, 0, FIXED_BYTES, fileSize - FIXED_BYTES);
    if (!fixed.subarray(4).equals(MAGIC)) return undefined;
    const length = fixed.readUInt32BE(0);
    if (length > fileSize - FIXED_BYTES) return undefined;
    const json = Buffer.alloc(length);
    readSync(fd, json, 0, length, fileSize - FIXED_BYTES - length);
    const parsed = schema.safeParse(JSON.parse(json.toString('utf8')));
    if (!parsed.success || parsed.data.size !== fileSize - FIXED_BYTES - length) return undefined;
    return parsed.data;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
