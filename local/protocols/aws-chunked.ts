import { AwsError } from '../aws-error';

/** Longest chunk-size or trailer line accepted (a size, a 64-hex signature, a base64 checksum fit easily). */
const MAX_LINE_BYTES = 4096;
const CRLF = Buffer.from('\r\n');

const malformed = (why: string) => new AwsError('InvalidRequest', `Malformed aws-chunked body: ${why}`, 400);

/** True when a request body is in the `aws-chunked` content encoding (SigV4 streaming upload). */
export function isAwsChunked(headers: Record<string, string | string[] | undefined>): boolean {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

/**
 * Decodes an `aws-chunked` body — `<hex-size>[;chunk-signature=…]\r\n<bytes>\r\n … 0\r\n<trailers>\r\n` — as the
 * SDK v3 (STREAMING-UNSIGNED-PAYLOAD-TRAILER) and SigV4 streaming (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) send it.
 * Yields the payload bytes as they arrive; trailer headers (`x-amz-checksum-crc32: …`) land in `trailers`, lower-cased.
 * Chunk signatures are not verified: the embedded AWS does not authenticate.
 */
export async function* decodeAwsChunked(source: AsyncIterable<Buffer>, trailers: Record<string, string>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  /** Payload bytes still due in the current chunk; -1 while reading a size line, -2 while expecting its CRLF. */
  let remaining = -1;
  let inTrailers = false;
  let finished = false;
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (!finished) {
      if (remaining > 0) {
        if (pending.length === 0) break;
        const take = Math.min(remaining, pending.length);
        yield pending.subarray(0, take);
        pending = pending.subarray(take);
        remaining -= take;
        if (remaining === 0) remaining = -2;
        continue;
      }
      if (remaining === -2) {
        if (pending.length < 2) break;
        if (!pending.subarray(0, 2).equals(CRLF)) throw malformed('chunk data is not followed by CRLF');
        pending = pending.subarray(2);
        remaining = -1;
        continue;
      }
      const eol = pending.indexOf(CRLF);
      if (eol < 0) {
        if (pending.length > MAX_LINE_BYTES) throw malformed('line too long');
        break;
      }
      const line = pending.subarray(0, eol).toString('latin1');
      pending = pending.subarray(eol + 2);
      if (inTrailers) {
        if (line === '') {
          finished = true;
          break;
        }
        const colon = line.indexOf(':');
        if (colon <= 0) throw malformed(`bad trailer line "${line.slice(0, 80)}"`);
        trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        continue;
      }
      const sizeText = line.split(';')[0].trim();
      if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw malformed(`bad chunk size "${sizeText.slice(0, 80)}"`);
      const size = parseInt(sizeText, 16);
      if (size === 0) inTrailers = true;
      else remaining = size;
    }
  }
  // Some clients end right after the last trailer line, without the closing empty line.
  if (!inTrailers || remaining !== -1) {
    throw new AwsError('IncompleteBody', 'The request body terminated unexpectedly', 400);
  }
  if (!finished && pending.length > 0) {
    const line = pending.toString('latin1');
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
}
