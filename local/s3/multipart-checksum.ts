import type { IncomingHttpHeaders } from 'node:http';
import { CHECKSUM_ALGORITHMS, checksumHeader, createChecksum, isChecksumAlgorithm, type ChecksumAlgorithm } from '../protocols/checksums';
import { s3Errors } from './errors';
import { assertChecksumValue } from './receive-body';
import type { StoredChecksum } from './store';

/**
 * S3's multipart checksums. An upload created with `x-amz-checksum-algorithm` gets a checksum type:
 *   COMPOSITE    the checksum of the parts' binary checksums, then `-<part count>` (CRC32, CRC32C, SHA1, SHA256);
 *   FULL_OBJECT  the CRC of the whole object, as a single PUT would have it (CRC32, CRC32C, CRC64NVME).
 * CRC64NVME defaults to FULL_OBJECT, the others to COMPOSITE. An upload created without an algorithm still ends with
 * S3's default full-object CRC64NVME.
 */
export type ChecksumType = StoredChecksum['type'];

const FULL_OBJECT_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME'];

/** The algorithm and type a CreateMultipartUpload asks for, refused as S3 refuses them. */
export function requestedUploadChecksum(headers: IncomingHttpHeaders): { algorithm?: ChecksumAlgorithm; type?: ChecksumType } {
  const requested = String(headers['x-amz-checksum-algorithm'] ?? '').toUpperCase();
  const type = String(headers['x-amz-checksum-type'] ?? '').toUpperCase();
  if (!requested) {
    if (type) throw s3Errors.invalidRequest('The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return {};
  }
  if (!isChecksumAlgorithm(requested)) {
    throw s3Errors.invalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  }
  const algorithm: ChecksumAlgorithm = requested;
  if (type && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') throw s3Errors.invalidRequest('Value for x-amz-checksum-type header is invalid.');
  const chosen: ChecksumType = (type as ChecksumType) || (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  const allowed = chosen === 'FULL_OBJECT' ? FULL_OBJECT_ALGORITHMS.includes(algorithm) : algorithm !== 'CRC64NVME';
  if (!allowed) {
    throw s3Errors.invalidRequest(`The ${chosen} checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
  }
  return { algorithm, type: chosen };
}

/** The type an upload record has; records written before types were kept get their algorithm's default. */
export function uploadChecksumType(algorithm: ChecksumAlgorithm, type?: ChecksumType): ChecksumType {
  return type ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
}

/** The algorithm whose full-object CRC an assembled upload gets: its own for FULL_OBJECT, S3's default without one. */
export function fullObjectAlgorithm(algorithm: ChecksumAlgorithm | undefined, type: ChecksumType | undefined): ChecksumAlgorithm | undefined {
  if (!algorithm) return 'CRC64NVME';
  return uploadChecksumType(algorithm, type) === 'FULL_OBJECT' ? algorithm : undefined;
}

/** COMPOSITE: the checksum of the concatenated binary part checksums, suffixed with the part count. */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: string[]): string {
  const checksum = createChecksum(algorithm);
  for (const value of partChecksums) checksum.update(Buffer.from(value, 'base64'));
  return `${checksum.digestBase64()}-${partChecksums.length}`;
}

/**
 * The whole-object checksum headers of a CompleteMultipartUpload, checked against what the parts made. S3 answers
 * BadDigest naming the upload's algorithm for a value of another algorithm, and for a FULL_OBJECT value sent without
 * `x-amz-checksum-type: FULL_OBJECT`.
 */
export function assertCompleteChecksum(headers: IncomingHttpHeaders, upload: { algorithm?: ChecksumAlgorithm; type?: ChecksumType }, made: StoredChecksum): void {
  const { algorithm } = upload;
  if (!algorithm) return;
  const mismatch = () => s3Errors.badDigest(algorithm.toLowerCase());
  if (CHECKSUM_ALGORITHMS.some((other) => other !== algorithm && headers[checksumHeader(other)] !== undefined)) throw mismatch();
  const sent = headers[checksumHeader(algorithm)];
  if (typeof sent !== 'string') return;
  if (made.type === 'FULL_OBJECT') {
    if (String(headers['x-amz-checksum-type'] ?? '').toUpperCase() !== 'FULL_OBJECT') throw mismatch();
    assertChecksumValue(algorithm, sent);
    if (sent !== made.value) throw mismatch();
    return;
  }
  // COMPOSITE: the value with or without its `-<part count>` suffix.
  const [digest, count] = sent.split('-');
  assertChecksumValue(algorithm, digest);
  if (`${digest}-${count ?? made.value.split('-')[1]}` !== made.value) throw mismatch();
}
