import { invalidNextToken } from './shapes';

/** A page of a sorted list; the token is the offset of the next page, opaque to clients. */
export function pageOf<T>(items: readonly T[], token: string | undefined, size: number): { page: T[]; NextToken?: string } {
  let start = 0;
  if (token !== undefined) {
    start = Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^aep:/, ''));
    if (!Buffer.from(token, 'base64url').toString('utf8').startsWith('aep:') || !Number.isInteger(start) || start < 0) throw invalidNextToken();
  }
  const next = start + size;
  return { page: items.slice(start, next), NextToken: next < items.length ? Buffer.from(`aep:${next}`).toString('base64url') : undefined };
}
