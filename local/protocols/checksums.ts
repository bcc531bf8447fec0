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
 * CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), kept as two 32-bit halves so it runs without BigInt per byte.
 */
const CRC64_TABLE = (() => {
  const poly = 0x9a6c9329ac4bc9b5n;
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    hi[n] = Number(c >> 32n);
    lo[n] = Number(c & 0xffffffffn);
  }
  return { hi, lo };
})();

function crc64Nvme(): Checksum {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  return {
    update(chunk) {
      for (let i = 0; i < chunk.length; i++) {
        const index = (lo ^ chunk[i]) & 0xff;
        // (crc >>> 8) across the two halves, then xor the table entry.
        const shiftedLo = ((lo >>> 8) | (hi << 24)) >>> 0;
        const shiftedHi = hi >>> 8;
        lo = (shiftedLo ^ CRC64_TABLE.lo[index]) >>> 0;
        hi = (shiftedHi ^ CRC64_TABLE.hi[index]) >>> 0;
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
