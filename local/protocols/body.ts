import type { IncomingMessage } from 'node:http';
import { AwsError } from '../aws-error';

/** Largest non-streaming request body the embedded AWS accepts (Step Functions' 256 KiB input fits many times over). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Reads a whole request body, refusing one larger than `limit` with an AWS-style 413. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new AwsError('RequestEntityTooLarge', `Request body exceeds ${limit} bytes`, 413);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
