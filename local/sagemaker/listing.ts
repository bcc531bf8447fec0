import { validationError } from '../aws-error';
import type { ListInput } from './shapes';

export interface Listable {
  name: string;
  creationTime: number;
  lastModifiedTime?: number;
  status?: string;
}

/**
 * The List* operations' common filters, order and pagination: NameContains (case-insensitive), time windows,
 * StatusEquals, SortBy/SortOrder (default CreationTime, Descending), MaxResults (default 10) and an opaque NextToken.
 */
export function listPage<T>(items: T[], key: (item: T) => Listable, input: ListInput): { page: T[]; NextToken?: string } {
  const contains = input.NameContains?.toLowerCase();
  const filtered = items.filter((item) => {
    const k = key(item);
    return (
      (!contains || k.name.toLowerCase().includes(contains)) &&
      (input.CreationTimeBefore === undefined || k.creationTime < input.CreationTimeBefore) &&
      (input.CreationTimeAfter === undefined || k.creationTime > input.CreationTimeAfter) &&
      (input.LastModifiedTimeBefore === undefined || (k.lastModifiedTime ?? k.creationTime) < input.LastModifiedTimeBefore) &&
      (input.LastModifiedTimeAfter === undefined || (k.lastModifiedTime ?? k.creationTime) > input.LastModifiedTimeAfter) &&
      (input.StatusEquals === undefined || k.status === input.StatusEquals)
    );
  });
  const sortBy = input.SortBy ?? 'CreationTime';
  const direction = (input.SortOrder ?? 'Descending') === 'Ascending' ? 1 : -1;
  filtered.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const primary =
      sortBy === 'Name' ? ka.name.localeCompare(kb.name) : sortBy === 'Status' ? (ka.status ?? '').localeCompare(kb.status ?? '') : ka.creationTime - kb.creationTime;
    return direction * (primary || ka.name.localeCompare(kb.name));
  });
  const start = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
  const size = input.MaxResults ?? 10;
  const page = filtered.slice(start, start + size);
  return { page, NextToken: start + size < filtered.length ? encodeToken(start + size) : undefined };
}

const encodeToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');

function decodeToken(token: string): number {
  try {
    const offset = JSON.parse(Buffer.from(token, 'base64').toString('utf8')).offset;
    if (Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw validationError('Invalid pagination token because of incorrect format or because it has expired.');
}
