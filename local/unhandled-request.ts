import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from './aws-error';
import { sendServiceError } from './error-shapes';
import { readBody } from './protocols/body';
import { MAX_QUERY_BODY_BYTES } from './protocols/query';
import type { RequestContext } from './service';

/**
 * Answers a request that no embedded service claims (a service or operation the embedded AWS does not implement)
 * in the caller's own protocol, with the error code AWS uses for an unknown operation there, so the caller's SDK
 * reports a named error instead of failing to parse the body: JSON (`X-Amz-Target`) → UnknownOperationException;
 * Query (`Action=`) → an `<ErrorResponse>` with InvalidAction; anything else (REST-JSON) → UnknownOperationException.
 */
export async function sendUnhandledRequest(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  const target = req.headers['x-amz-target'];
  const service = ctx.signingName ?? 'unknown';
  if (target !== undefined) {
    req.resume();
    const json = String(req.headers['content-type'] ?? '').includes('1.0') ? 'json-1.0' : 'json';
    sendServiceError(json, res, new AwsError('UnknownOperationException', `The embedded AWS does not implement ${target} (service ${service}).`, 400), ctx);
    return;
  }
  const action = ctx.url.searchParams.get('Action') ?? (await formAction(req));
  if (action) {
    sendServiceError('query', res, new AwsError('InvalidAction', `The action ${action} is not valid for this web service (the embedded AWS does not implement ${service}).`, 400), ctx);
    return;
  }
  sendServiceError('rest-json', res, new AwsError('UnknownOperationException', `The embedded AWS does not implement ${req.method} ${ctx.url.pathname} (service ${service}).`, 400), ctx);
}

async function formAction(req: IncomingMessage): Promise<string | null> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    req.resume();
    return null;
  }
  const body = await readBody(req, MAX_QUERY_BODY_BYTES).catch(() => Buffer.alloc(0));
  return new URLSearchParams(body.toString('utf8')).get('Action');
}

/**
 * The protocol of a request no service claimed, from what it carries without being read: an X-Amz-Target is JSON, a
 * form body or ?Action= is Query (XML errors); everything else is answered as JSON.
 */
export function unclaimedProtocol(req: IncomingMessage, url: URL): 'json' | 'query' {
  if (req.headers['x-amz-target'] !== undefined) return 'json';
  const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return form || url.searchParams.has('Action') ? 'query' : 'json';
}
