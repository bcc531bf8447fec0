import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';

const MiB = 1024 * 1024;

/**
 * Writes a model.tar.gz holding one file of `size` zero bytes: ~1000:1 (a 1 GiB file makes a ~1 MiB archive). It is
 * a multi-member gzip (valid: gunzip and zlib read members one after the other), each MiB of zeros compressed once
 * and repeated, so writing it takes no time and never holds the inflated bytes.
 */
export function writeGzipBomb(file: string, size: number): void {
  const header = Buffer.alloc(512);
  new tar.Header({ path: 'weights.bin', size, type: 'File', mode: 0o644, mtime: new Date(0) }).encode(header, 0);
  const padding = (512 - (size % 512)) % 512;
  const zeros = gzipSync(Buffer.alloc(MiB), { level: 9 });
  const members = [gzipSync(header)];
  for (let left = size; left > 0; left -= MiB) members.push(left >= MiB ? zeros : gzipSync(Buffer.alloc(left), { level: 9 }));
  members.push(gzipSync(Buffer.alloc(padding + 1024))); // the file's last block, then tar's two end blocks
  writeFileSync(file, Buffer.concat(members));
}

/** Samples the process's resident memory while `work` runs: the highest RSS seen, above the RSS at the start. */
export async function peakRssGrowth(work: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage().rss) - before;
}
