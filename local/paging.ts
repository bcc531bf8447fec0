import type { AwsError } from './aws-error';

/** A page of a sorted list; the token is the offset of the next page, opaque to clients. */
export function pageOf<T>(items: readonly T[], token: string | undefined, size: number, invalidToken: () => AwsError): { page: T[]; NextToken?: string } {
  let start = 0;
  if (token !== undefined) {
    const text = Buffer.from(token, 'base64url').toString('utf8');
    start = Number(text.replace(/^aep:/, ''));
    if (!text.startsWith('aep:') || !Number.isInteger(start) || start < 0) throw invalidToken();
  }
  const next = start + size;
  return { page: items.slice(start, next), NextToken: next < items.length ? Buffer.from(`aep:${next}`).toString('base64url') : undefined };
}
