import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createChecksum, type ChecksumAlgorithm } from '../protocols/checksums';
import { objectStream } from './object-stream';
import type { ByteRange } from './range';
import type { StoredChecksum } from './store';

/**
 * CopyObject and UploadPartCopy: an opened object's bytes (or a range of them) into a temp file, with their MD5 (the
 * ETag) and, given an algorithm, their full-object checksum computed on the way. `check` runs first (the copy-source
 * conditions); on any failure the handle is closed and the temp file removed. `objectSize`: the object's bytes, which
 * end before its data file does.
 */
export async function copyToTemp(
  handle: FileHandle,
  objectSize: number,
  tempPath: string,
  check: () => ByteRange | undefined,
  algorithm?: ChecksumAlgorithm,
): Promise<{ size: number; md5Hex: string; checksum?: StoredChecksum }> {
  const md5 = createHash('md5');
  const checksum = algorithm ? createChecksum(algorithm) : undefined;
  let size = 0;
  try {
    const range = check();
    await pipeline(
      range ? handle.createReadStream(range) : objectStream(handle, objectSize),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          md5.update(chunk);
          checksum?.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(tempPath),
    );
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tempPath, { force: true });
    throw error;
  }
  return { size, md5Hex: md5.digest('hex'), checksum: algorithm && checksum ? { algorithm, value: checksum.digestBase64(), type: 'FULL_OBJECT' } : undefined };
}
