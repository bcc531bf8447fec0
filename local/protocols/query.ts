import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../aws-error';
import type { RequestContext, ServiceModule } from '../service';
import { readBody } from './body';
import { xmlElement, type XmlElement } from './xml';

/** The flat parameters of a Query request (`Action`, `TopicArn`, `Attributes.entry.1.key`, …). */
export type QueryParams = Readonly<Record<string, string>>;

/** An operation of a Query-protocol service: parameters in, the `<Result>` element's content out (or nothing). */
export type QueryOperation = (params: QueryParams, ctx: RequestContext) => Promise<XmlElement | undefined> | XmlElement | undefined;

/** A non-AWS route a Query service also serves (its `/_aep/…` admin paths). */
export interface ExtraRoute {
  matches(req: IncomingMessage, ctx: RequestContext): boolean;
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> | void;
}

export interface QueryServiceOptions {
  name: string;
  /** The SigV4 signing name (`sns`, `sts`). */
  signingName: string;
  /** The service's XML namespace, e.g. `http://sns.amazonaws.com/doc/2010-03-31/`. */
  xmlns: string;
  operations: Record<string, QueryOperation>;
  routes?: ExtraRoute[];
  close?: () => Promise<void>;
}

/** Largest Query request accepted: SNS's 256 KiB message, form-encoded, fits with room to spare. */
export const MAX_QUERY_BODY_BYTES = 1024 * 1024;

/**
 * The AWS Query protocol (SNS, STS): `Action=…&Version=…` form-encoded in a POST body (or in the query string),
 * answered with `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>` and errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>` — what @aws-sdk's AwsQueryProtocol and botocore parse.
 * Requests are claimed by signing name; an unsigned one only when its URL names one of the service's actions.
 */
export function queryService(options: QueryServiceOptions): ServiceModule {
  const { name, signingName, xmlns, operations, routes = [] } = options;
  return {
    name,
    namesOperationInBody: true,
    close: options.close,
    handles(req, ctx) {
      if (routes.some((route) => route.matches(req, ctx))) return true;
      if (ctx.signingName) return ctx.signingName === signingName;
      const action = ctx.url.searchParams.get('Action');
      return action !== null && Object.hasOwn(operations, action);
    },
    async handle(req, res, ctx) {
      const route = routes.find((r) => r.matches(req, ctx));
      if (route) return route.handle(req, res, ctx);
      try {
        const params = await readQueryParams(req, ctx);
        const action = params.Action;
        if (!action) throw new AwsError('MissingAction', 'Missing Action', 400);
        const operation = Object.hasOwn(operations, action) ? operations[action] : undefined;
        if (!operation) throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`, 400);
        await ctx.operationNamed?.(action);
        await ctx.authorize?.(action, params);
        const result = await operation(params, ctx);
        const body =
          (result ? xmlElement(`${action}Result`, result) : '') + xmlElement('ResponseMetadata', { RequestId: ctx.requestId });
        sendQueryXml(res, ctx, 200, `<${action}Response xmlns="${xmlns}">${body}</${action}Response>`);
      } catch (error) {
        sendQueryError(req, res, error, xmlns, ctx);
      }
    },
  };
}

async function readQueryParams(req: IncomingMessage, ctx: RequestContext): Promise<QueryParams> {
  const params: Record<string, string> = {};
  for (const [key, value] of ctx.url.searchParams) params[key] = value;
  if (req.method === 'POST') {
    const body = await readBody(req, MAX_QUERY_BODY_BYTES);
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = value;
  }
  return params;
}

function sendQueryXml(res: ServerResponse, ctx: RequestContext, status: number, xml: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': ctx.requestId });
  res.end(text);
}

export function sendQueryError(req: IncomingMessage, res: ServerResponse, error: unknown, xmlns: string, ctx: RequestContext): void {
  const e = error instanceof AwsError ? error : new AwsError('InternalFailure', (error as Error)?.message ?? String(error), 500);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (!req.complete) res.setHeader('connection', 'close');
  const inner = xmlElement('Error', { Type: e.status >= 500 ? 'Receiver' : 'Sender', Code: e.code, Message: e.message });
  sendQueryXml(res, ctx, e.status, `<ErrorResponse xmlns="${xmlns}">${inner}${xmlElement('RequestId', ctx.requestId)}</ErrorResponse>`);
}

/** A required parameter, or the Query protocol's MissingParameter error. */
export function requiredParam(params: QueryParams, name: string): string {
  const value = params[name];
  if (value === undefined) throw new AwsError('MissingParameter', `The request must contain the parameter ${name}.`, 400);
  return value;
}

/**
 * A flattened list or map: `Tags.member.1.Key=a&Tags.member.1.Value=b` → `[{Key:'a', Value:'b'}]` for prefix
 * `Tags.member`; `Attributes.entry.1.key` for `Attributes.entry`. Ordered by index.
 */
export function queryList(params: QueryParams, prefix: string): Array<Record<string, string>> {
  const items = new Map<number, Record<string, string>>();
  for (const [key, value] of Object.entries(params)) {
    if (!key.startsWith(`${prefix}.`)) continue;
    const match = /^(\d+)(?:\.(.+))?$/.exec(key.slice(prefix.length + 1));
    if (!match) continue;
    const item = items.get(Number(match[1])) ?? {};
    item[match[2] ?? ''] = value;
    items.set(Number(match[1]), item);
  }
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

/** A `key`/`value` map in the Query protocol (`Attributes.entry.N.key` / `.value`). */
export function queryMap(params: QueryParams, prefix: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of queryList(params, prefix)) {
    if (entry.key !== undefined) map[entry.key] = entry.value ?? '';
  }
  return map;
}
