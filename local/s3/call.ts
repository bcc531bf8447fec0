import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT_ID, type RequestContext } from '../service';
import type { MultipartStore } from './multipart-store';
import type { ObjectMeta, S3Store } from './store';

/** Everything an S3 operation works with: the request, its bucket and key, the stores, the object-created hook. */
export interface S3Call {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RequestContext;
  bucket: string;
  key: string;
  query: URLSearchParams;
  store: S3Store;
  uploads: MultipartStore;
  /** Reports an object that was just created (PutObject, CopyObject, CompleteMultipartUpload). */
  created(bucket: string, meta: ObjectMeta): void;
}

export type S3Operation = (call: S3Call) => Promise<void>;

/** The one owner of every bucket and object: S3's canonical user id is 64 hex characters. */
export const OWNER = { ID: createHash('sha256').update(LOCAL_ACCOUNT_ID).digest('hex'), DisplayName: 'aep-local' };

/** A request header as a single string, or undefined. */
export function header(call: S3Call, name: string): string | undefined {
  const value = call.req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
