import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Objects up to this size are received into memory, and written and read with synchronous file calls. For a few KiB,
 * each trip through libuv's thread pool (open, write, close, rename: one each) cost the one event loop more than the
 * call itself; measured for a 2 KiB object against an embedded AWS in its own process, before and after this path
 * (`npm run bench -- server-cpu` gives the after), the server's CPU per PutObject went from about 0.55 to 0.3–0.45 ms
 * and per GetObject from 0.38 to 0.13–0.18 ms. Blocking the loop for a small file's write is shorter than those trips.
 * Larger bodies stream through the pool as before.
 */
export const SMALL_OBJECT_BYTES = 256 * 1024;

/** The first `size` bytes of a data file, read at once. */
export function readBytesSync(path: string, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  const fd = openSync(path, 'r');
  try {
    for (let offset = 0; offset < size; ) {
      const read = readSync(fd, bytes, offset, size - offset, offset);
      if (read === 0) throw Object.assign(new Error(`${path} ends before its ${size} bytes`), { code: 'EIO' });
      offset += read;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}
