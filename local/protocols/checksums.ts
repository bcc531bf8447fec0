import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The flexible checksums S3 accepts (`x-amz-checksum-<algorithm>`), as the SDK v3, the CLI and boto3 send them. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Bytes of each digest: a header value is base64 of exactly this many bytes. */
export const CHECKSUM_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

/** `x-amz-checksum-crc32` for CRC32. */
export const checksumHeader = (algorithm: ChecksumAlgorithm) => `x-amz-checksum-${algorithm.toLowerCase()}`;

/** An incremental checksum whose result is base64, the form S3 puts in headers and XML. */
export interface Checksum {
  update(chunk: Buffer): void;
  digestBase64(): string;
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32':
      return crc32Checksum();
    case 'CRC32C':
      return tableCrc32(CRC32C_TABLE);
    case 'CRC64NVME':
      return crc64Nvme();
    case 'SHA1':
    case 'SHA256': {
      const hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (chunk) => void hash.update(chunk), digestBase64: () => hash.digest('base64') };
    }
  }
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

function crc32Checksum(): Checksum {
  let value = 0;
  return { update: (chunk) => void (value = crc32(chunk, value)), digestBase64: () => uint32Base64(value) };
}

/** Reflected CRC-32 lookup table for a polynomial (CRC-32C: Castagnoli, 0x82F63B78). */
function crc32Table(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}
const CRC32C_TABLE = crc32Table(0x82f63b78);

function tableCrc32(table: Uint32Array): Checksum {
  let crc = 0xffffffff;
  return {
    update(chunk) {
      for (let i = 0; i < chunk.length; i++) crc = table[(crc ^ chunk[i]) & 0xff] ^ (crc >>> 8);
    },
    digestBase64: () => uint32Base64(crc ^ 0xffffffff),
  };
}

/**
 * CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5): S3's default checksum, so it runs over every object stored.
 * Slicing-by-8 (eight bytes per step through eight tables) with the 64-bit value kept as two 32-bit halves: no
 * BigInt per byte, and three to four times faster than a byte at a time.
 */
const CRC64_TABLES = (() => {
  const poly = 0x9a6c9329ac4bc9b5n;
  const hi = Array.from({ length: 8 }, () => new Uint32Array(256));
  const lo = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    hi[0][n] = Number(c >> 32n);
    lo[0][n] = Number(c & 0xffffffffn);
  }
  // table k: a byte followed by k zero bytes
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const index = lo[k - 1][n] & 0xff;
      lo[k][n] = (((lo[k - 1][n] >>> 8) | (hi[k - 1][n] << 24)) ^ lo[0][index]) >>> 0;
      hi[k][n] = ((hi[k - 1][n] >>> 8) ^ hi[0][index]) >>> 0;
    }
  }
  return { hi, lo };
})();

function crc64Nvme(): Checksum {
  const [h0, h1, h2, h3, h4, h5, h6, h7] = CRC64_TABLES.hi;
  const [l0, l1, l2, l3, l4, l5, l6, l7] = CRC64_TABLES.lo;
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  return {
    update(chunk) {
      let i = 0;
      for (const end = chunk.length - 7; i < end; i += 8) {
        const a = (lo ^ (chunk[i] | (chunk[i + 1] << 8) | (chunk[i + 2] << 16) | (chunk[i + 3] << 24))) >>> 0;
        const b = (hi ^ (chunk[i + 4] | (chunk[i + 5] << 8) | (chunk[i + 6] << 16) | (chunk[i + 7] << 24))) >>> 0;
        lo = (l7[a & 0xff] ^ l6[(a >>> 8) & 0xff] ^ l5[(a >>> 16) & 0xff] ^ l4[a >>> 24] ^ l3[b & 0xff] ^ l2[(b >>> 8) & 0xff] ^ l1[(b >>> 16) & 0xff] ^ l0[b >>> 24]) >>> 0;
        hi = (h7[a & 0xff] ^ h6[(a >>> 8) & 0xff] ^ h5[(a >>> 16) & 0xff] ^ h4[a >>> 24] ^ h3[b & 0xff] ^ h2[(b >>> 8) & 0xff] ^ h1[(b >>> 16) & 0xff] ^ h0[b >>> 24]) >>> 0;
      }
      for (; i < chunk.length; i++) {
        const index = (lo ^ chunk[i]) & 0xff;
        // (crc >>> 8) across the two halves, then xor the table entry.
        lo = (((lo >>> 8) | (hi << 24)) ^ l0[index]) >>> 0;
        hi = ((hi >>> 8) ^ h0[index]) >>> 0;
      }
    },
    digestBase64() {
      const out = Buffer.alloc(8);
      out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
      out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
      return out.toString('base64');
    },
  };
}
