import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** An object's bytes from its opened data file: the first `size` bytes (the trailer after them is the store's). Closes the handle. */
export function objectStream(handle: FileHandle, size: number): Readable {
  if (size > 0) return handle.createReadStream({ start: 0, end: size - 1 });
  void handle.close().catch(() => undefined);
  return Readable.from([]);
}
