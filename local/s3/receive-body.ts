import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createWriteStream, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { decodeAwsChunked, isAwsChunked } from '../protocols/aws-chunked';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_BYTES,
  checksumHeader,
  createChecksum,
  isChecksumAlgorithm,
  type Checksum,
  type ChecksumAlgorithm,
} from '../protocols/checksums';
import { s3Errors } from './errors';
import { SMALL_OBJECT_BYTES } from './small-objects';
import type { StoredChecksum } from './store';

/** S3's largest single PUT (and part): 5 GiB. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

/** A body received and verified, sitting in a temp file. */
export interface ReceivedBody {
  tempPath: string;
  size: number;
  md5Hex: string;
  /** The flexible checksum the client declared (header or trailer), verified against the bytes. */
  checksum?: StoredChecksum;
}

/**
 * The flexible checksum a request body declares: an `x-amz-checksum-<alg>` header, a checksum announced in
 * `x-amz-trailer` (sent after an aws-chunked body), or an algorithm named for the server to compute.
 */
export function declaredChecksum(headers: IncomingHttpHeaders): { algorithm?: ChecksumAlgorithm; trailer?: string } {
  const declared = CHECKSUM_ALGORITHMS.filter((a) => headers[checksumHeader(a)] !== undefined);
  if (declared.length > 1) throw s3Errors.invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const trailer = String(headers['x-amz-trailer'] ?? '').trim().toLowerCase();
  const fromTrailer = trailer ? CHECKSUM_ALGORITHMS.find((a) => checksumHeader(a) === trailer) : undefined;
  if (trailer && !fromTrailer) throw s3Errors.unsupportedTrailer();
  const sdkAlgorithm = String(headers['x-amz-sdk-checksum-algorithm'] ?? headers['x-amz-checksum-algorithm'] ?? '').toUpperCase();
  const algorithm = declared[0] ?? fromTrailer ?? (isChecksumAlgorithm(sdkAlgorithm) ? sdkAlgorithm : undefined);
  return { algorithm, trailer: fromTrailer ? trailer : undefined };
}

/**
 * Verifies a body against every digest the client declared: Content-MD5, a hex `x-amz-content-sha256`, and one
 * flexible checksum (see declaredChecksum). The MD5 is always computed: it is the ETag.
 */
export class BodyVerifier {
  private readonly md5 = createHash('md5');
  private readonly sha256?: ReturnType<typeof createHash>;
  private readonly expectedSha256?: string;
  private readonly expectedMd5?: string;
  private readonly algorithm?: ChecksumAlgorithm;
  private readonly trailer?: string;
  private readonly checksum?: Checksum;
  private readonly headerValue?: string;

  /** `defaultAlgorithm`: computed when the client declares none (S3 gives every new object a CRC64NVME). */
  constructor(headers: IncomingHttpHeaders, defaultAlgorithm?: ChecksumAlgorithm) {
    const contentMd5 = headers['content-md5'];
    if (typeof contentMd5 === 'string') {
      if (Buffer.from(contentMd5, 'base64').length !== 16) throw s3Errors.invalidDigest();
      this.expectedMd5 = Buffer.from(contentMd5, 'base64').toString('hex');
    }
    const sha = String(headers['x-amz-content-sha256'] ?? '');
    if (/^[0-9a-f]{64}$/i.test(sha)) {
      this.expectedSha256 = sha.toLowerCase();
      this.sha256 = createHash('sha256');
    }
    ({ algorithm: this.algorithm, trailer: this.trailer } = declaredChecksum(headers));
    this.algorithm ??= defaultAlgorithm;
    if (this.algorithm) {
      this.checksum = createChecksum(this.algorithm);
      const value = headers[checksumHeader(this.algorithm)];
      if (typeof value === 'string') {
        assertChecksumValue(this.algorithm, value);
        this.headerValue = value;
      }
    }
  }

  update(chunk: Buffer): void {
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
  }

  /** Checks the digests once the whole body (and its trailers) arrived. */
  finish(trailers: Record<string, string>): { md5Hex: string; checksum?: StoredChecksum } {
    // S3 fails an announced checksum that never came, and one that came unannounced: neither was verified.
    const sentChecksums = Object.keys(trailers).filter((name) => name.startsWith('x-amz-checksum-'));
    if ((this.trailer && trailers[this.trailer] === undefined) || sentChecksums.some((name) => name !== this.trailer)) throw s3Errors.malformedTrailer();
    const md5Hex = this.md5.digest('hex');
    if (this.expectedMd5 && this.expectedMd5 !== md5Hex) throw s3Errors.badDigest('Content-MD5');
    if (this.sha256 && this.expectedSha256) {
      const computed = this.sha256.digest('hex');
      if (computed !== this.expectedSha256) throw s3Errors.contentSha256Mismatch(this.expectedSha256, computed);
    }
    if (!this.algorithm || !this.checksum) return { md5Hex };
    const computed = this.checksum.digestBase64();
    const expected = this.headerValue ?? trailers[checksumHeader(this.algorithm)];
    if (expected !== undefined) {
      assertChecksumValue(this.algorithm, expected);
      if (expected !== computed) throw s3Errors.badDigest(this.algorithm);
    }
    return { md5Hex, checksum: { algorithm: this.algorithm, value: computed, type: 'FULL_OBJECT' } };
  }
}

/** A checksum value must be base64 of exactly the algorithm's digest length. */
export function assertChecksumValue(algorithm: ChecksumAlgorithm, value: string): void {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || Buffer.from(value, 'base64').length !== CHECKSUM_BYTES[algorithm]) {
    throw s3Errors.invalidChecksumValue(checksumHeader(algorithm));
  }
}

/** The payload length the client announced: the decoded length of an aws-chunked body, else Content-Length. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const text = isAwsChunked(headers) ? headers['x-amz-decoded-content-length'] : headers['content-length'];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw s3Errors.invalidArgument('Invalid content length', 'Content-Length', String(text));
  return value;
}

/** S3's checksum for an object uploaded without one (AWS's default data integrity protections, December 2024). */
export const DEFAULT_OBJECT_CHECKSUM: ChecksumAlgorithm = 'CRC64NVME';

/**
 * Streams a PUT/UploadPart body to `tempPath` — decoding aws-chunked, counting, hashing — and verifies it.
 * `defaultAlgorithm`: the checksum computed on the way when the client declared none.
 * Never holds more than a chunk in memory, except a body declared small (SMALL_OBJECT_BYTES), which is gathered and
 * written at once. The temp file is removed if anything fails. The request is never destroyed here (its socket
 * carries the error response); an unread rest makes the error close the connection.
 */
export async function receiveBody(
  req: IncomingMessage,
  tempPath: string,
  options: { maxBytes?: number; defaultAlgorithm?: ChecksumAlgorithm } = {},
): Promise<ReceivedBody> {
  const { maxBytes = MAX_PUT_BYTES, defaultAlgorithm } = options;
  const expected = declaredLength(req.headers);
  if (expected !== undefined && expected > maxBytes) throw s3Errors.entityTooLarge(expected, maxBytes);
  const verifier = new BodyVerifier(req.headers, defaultAlgorithm);
  const trailers: Record<string, string> = {};
  const raw: AsyncIterable<Buffer> = req.iterator({ destroyOnReturn: false });
  const source = isAwsChunked(req.headers) ? decodeAwsChunked(raw, trailers) : raw;
  const small = expected !== undefined && expected <= SMALL_OBJECT_BYTES;
  const gathered: Buffer[] = [];
  const out = small ? undefined : createWriteStream(tempPath);
  let writeError: Error | undefined;
  out?.on('error', (error) => (writeError = error));
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) throw s3Errors.entityTooLarge(size, maxBytes);
      // More than a small body declared: an aws-chunked body whose decoded length lied (Content-Length is the parser's).
      if (small && size > expected) throw s3Errors.incompleteBody();
      verifier.update(chunk);
      if (!out) gathered.push(chunk);
      else if (!out.write(chunk)) await once(out, 'drain');
      if (writeError) throw writeError;
    }
    if (out) {
      out.end();
      await finished(out);
    }
    if (!req.complete || (expected !== undefined && size !== expected)) throw s3Errors.incompleteBody();
    const verified = { tempPath, size, ...verifier.finish(trailers) };
    if (!out) writeFileSync(tempPath, Buffer.concat(gathered, size));
    return verified;
  } catch (error) {
    out?.destroy();
    await rm(tempPath, { force: true });
    throw error;
  }
}
