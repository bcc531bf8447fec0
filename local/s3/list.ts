import { compareKeys } from './names';

/** `encoding-type=url`: names percent-encoded so any byte survives XML, `/` kept as S3 keeps it. */
export const encodeKey = (text: string) => encodeURIComponent(text).replace(/%2F/g, '/');

export interface ListQuery {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  /** List only keys (and common prefixes) after this one: StartAfter, the continuation token's key, V1's Marker. */
  after: string;
}

export interface ListPage {
  keys: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned when truncated: where the next page starts after. */
  nextAfter?: string;
}

/**
 * One page of a listing in S3's semantics: keys under `prefix` after `after`, those containing `delimiter` past the
 * prefix rolled up into one common prefix each; keys and common prefixes together count toward `maxKeys`.
 */
export function listPage(sortedKeys: readonly string[], query: ListQuery): ListPage {
  const { prefix, delimiter, maxKeys, after } = query;
  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let lastEntry: string | undefined;
  if (maxKeys <= 0) return { keys, commonPrefixes, isTruncated: false };
  const start = Math.max(
    firstIndex(sortedKeys, (key) => compareKeys(key, prefix) >= 0),
    firstIndex(sortedKeys, (key) => compareKeys(key, after) > 0),
  );
  for (let i = start; i < sortedKeys.length; i++) {
    const key = sortedKeys[i];
    // Keys sharing the prefix are contiguous in sorted order: the first one without it ends the listing.
    if (!key.startsWith(prefix)) break;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const entry = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
    // Keys under a common prefix already returned (or the one a page ended on) are part of it.
    if (entry === lastEntry || (after && compareKeys(entry, after) <= 0)) continue;
    if (keys.length + commonPrefixes.length >= maxKeys) return { keys, commonPrefixes, isTruncated: true, nextAfter: lastEntry };
    if (cut >= 0) commonPrefixes.push(entry);
    else keys.push(entry);
    lastEntry = entry;
  }
  return { keys, commonPrefixes, isTruncated: false };
}

/** Binary search over sorted keys: the index of the first key for which the monotonic `isAtOrPast` holds. */
function firstIndex(sortedKeys: readonly string[], isAtOrPast: (key: string) => boolean): number {
  let low = 0;
  let high = sortedKeys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (isAtOrPast(sortedKeys[mid])) high = mid;
    else low = mid + 1;
  }
  return low;
}
