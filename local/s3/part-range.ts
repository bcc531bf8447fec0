import type { ObjectMeta } from './store';
import { s3Errors } from './errors';
import type { ByteRange } from './range';

/**
 * GET/HEAD `?partNumber=N`: a ranged read of part N as it was uploaded (an object not uploaded in parts is one part),
 * with the object's parts count for `x-amz-mp-parts-count`.
 */
export function partRange(query: URLSearchParams, meta: ObjectMeta, rangeHeader: unknown): { range: ByteRange; number: number; partsCount?: number } | undefined {
  const text = query.get('partNumber');
  if (text === null) return undefined;
  const number = Number(text);
  if (!/^\d+$/.test(text) || number < 1 || number > 10_000) {
    throw s3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', text);
  }
  if (rangeHeader !== undefined) throw s3Errors.invalidRequest('Cannot specify both Range header and partNumber query parameter');
  const sizes = meta.partSizes ?? [meta.size];
  if (number > sizes.length) throw s3Errors.invalidPartNumber(number, sizes.length);
  const start = sizes.slice(0, number - 1).reduce((sum, size) => sum + size, 0);
  return { range: { start, end: start + sizes[number - 1] - 1 }, number, partsCount: meta.partSizes?.length };
}
