import type { IncomingMessage, ServerResponse } from 'node:http';
import { cbor, tag } from '@smithy/core/cbor';
import { AwsError } from '../aws-error';
import type { RequestContext, ServiceModule } from '../service';
import { readBody } from './body';
import { MAX_QUERY_BODY_BYTES } from './query';
import { xmlElement, type XmlValue } from './xml';

/** An operation: the input as a plain object (the same whatever the protocol), the output as one. */
export type CompatibleOperation = (input: Record<string, unknown>, ctx: RequestContext) => Promise<object | undefined> | object | undefined;

export interface QueryCompatibleServiceOptions {
  name: string;
  /** SigV4 signing name (`monitoring` for CloudWatch). */
  signingName: string;
  /** The Smithy service shape name: JSON's X-Amz-Target prefix and CBOR's `/service/<name>/operation/…` path. */
  serviceTarget: string;
  /** The Query protocol's XML namespace. */
  xmlns: string;
  operations: Record<string, CompatibleOperation>;
  close?: () => Promise<void>;
}

type Wire = 'query' | 'json' | 'cbor';

/**
 * A service that speaks the three protocols of an `awsQueryCompatible` AWS service, as CloudWatch does today:
 * the AWS Query protocol (form in, XML out; older SDKs), awsJson1_0 (the AWS SDK for JavaScript v3) and Smithy
 * RPC v2 CBOR (botocore ≥ 1.42, so boto3 and the AWS CLI). JSON and CBOR errors carry the Query error code in
 * `x-amzn-query-error: Code;Sender`, which both SDKs prefer over `__type`, so clients see the same error codes
 * (`InvalidParameterValue`, `ResourceNotFound`, `ValidationError`) whichever protocol they use.
 */
export function queryCompatibleService(options: QueryCompatibleServiceOptions): ServiceModule {
  const { name, signingName, serviceTarget, xmlns, operations } = options;
  const cborPath = `/service/${serviceTarget}/operation/`;

  const wireOf = (req: IncomingMessage, ctx: RequestContext): Wire | undefined => {
    if (ctx.url.pathname.startsWith(cborPath)) return 'cbor';
    if (String(req.headers['x-amz-target'] ?? '').startsWith(`${serviceTarget}.`)) return 'json';
    if (ctx.signingName === signingName) return 'query';
    return undefined;
  };

  return {
    name,
    namesOperationInBody: true,
    close: options.close,
    handles: (req, ctx) => wireOf(req, ctx) !== undefined,
    async handle(req, res, ctx) {
      const wire = wireOf(req, ctx)!;
      let action = '';
      try {
        const body = await readBody(req, MAX_QUERY_BODY_BYTES);
        let input: Record<string, unknown>;
        if (wire === 'cbor') {
          action = decodeURIComponent(ctx.url.pathname.slice(cborPath.length));
          input = fromCbor(body);
        } else if (wire === 'json') {
          action = String(req.headers['x-amz-target']).slice(serviceTarget.length + 1);
          input = fromJson(body);
        } else {
          const params = new URLSearchParams(ctx.url.search);
          for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params.set(key, value);
          action = params.get('Action') ?? '';
          if (!action) throw new AwsError('MissingAction', 'Missing Action', 400);
          input = fromQuery(params);
        }
        const operation = Object.hasOwn(operations, action) ? operations[action] : undefined;
        if (!operation) throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`, 400);
        await ctx.operationNamed?.(action);
        await ctx.authorize?.(action, input);
        const output = (await operation(input, ctx)) ?? {};
        send(res, ctx, wire, 200, action, output);
      } catch (error) {
        const e = error instanceof AwsError ? error : new AwsError('InternalFailure', (error as Error)?.message ?? String(error), 500);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (!req.complete) res.setHeader('connection', 'close');
        sendError(res, ctx, wire, e);
      }
    },
  };

  function send(res: ServerResponse, ctx: RequestContext, wire: Wire, status: number, action: string, output: object): void {
    if (wire === 'query') {
      const result = Object.keys(output).length ? xmlElement(`${action}Result`, toQueryXml(output)) : '';
      const xml = `<${action}Response xmlns="${xmlns}">${result}${xmlElement('ResponseMetadata', { RequestId: ctx.requestId })}</${action}Response>`;
      write(res, ctx, status, 'text/xml', `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    } else if (wire === 'json') {
      write(res, ctx, status, 'application/x-amz-json-1.0', JSON.stringify(output, epochSeconds));
    } else {
      write(res, ctx, status, 'application/cbor', Buffer.from(cbor.serialize(toCbor(output))), { 'smithy-protocol': 'rpc-v2-cbor' });
    }
  }

  function sendError(res: ServerResponse, ctx: RequestContext, wire: Wire, e: AwsError): void {
    const type = e.status >= 500 ? 'Receiver' : 'Sender';
    if (wire === 'query') {
      const inner = xmlElement('Error', { Type: type, Code: e.code, Message: e.message });
      const xml = `<ErrorResponse xmlns="${xmlns}">${inner}${xmlElement('RequestId', ctx.requestId)}</ErrorResponse>`;
      write(res, ctx, e.status, 'text/xml', `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
      return;
    }
    const headers = { 'x-amzn-query-error': `${e.code};${type}`, 'x-amzn-errortype': e.code };
    const body = { __type: e.code, message: e.message };
    if (wire === 'json') write(res, ctx, e.status, 'application/x-amz-json-1.0', JSON.stringify(body), headers);
    else write(res, ctx, e.status, 'application/cbor', Buffer.from(cbor.serialize(body)), { ...headers, 'smithy-protocol': 'rpc-v2-cbor' });
  }
}

function write(res: ServerResponse, ctx: RequestContext, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': ctx.requestId });
  res.end(body);
}

function fromJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AwsError('SerializationException', 'Request body is not a valid JSON object', 400);
}

function fromCbor(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let decoded: unknown;
  try {
    decoded = cbor.deserialize(new Uint8Array(body));
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid CBOR', 400);
  }
  const value = fromCborValue(decoded);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
    throw new AwsError('SerializationException', 'Request body is not a CBOR map', 400);
  }
  return value as Record<string, unknown>;
}

/** CBOR tag 1 (epoch seconds) is a timestamp; everything else maps to plain JSON-like values. */
function fromCborValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromCborValue);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if ('tag' in record && 'value' in record && Object.keys(record).length === 2) {
      return Number(record.tag) === 1 ? new Date(Number(record.value) * 1000) : fromCborValue(record.value);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fromCborValue(v)]));
  }
  return value;
}

/** Dates leave as CBOR tag 1 with epoch seconds; undefined members are left out. */
function toCbor(value: unknown): unknown {
  if (value instanceof Date) return tag({ tag: 1, value: value.getTime() / 1000 });
  if (Array.isArray(value)) return value.map(toCbor);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toCbor(v)]));
  }
  return value;
}

/**
 * Query parameters to the same object shape JSON would carry: `Dimensions.member.2.Name` → `Dimensions[1].Name`.
 * Values stay strings; the operation's schema coerces numbers, booleans and timestamps.
 */
export function fromQuery(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node[parts[i]];
      node = (typeof next === 'object' && next !== null ? next : (node[parts[i]] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return listsOf(root) as Record<string, unknown>;
}

function listsOf(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === 'member' && typeof record.member === 'object' && record.member !== null) {
    const members = record.member as Record<string, unknown>;
    return Object.keys(members)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => listsOf(members[k]));
  }
  return Object.fromEntries(keys.map((k) => [k, listsOf(record[k])]));
}

/** Output objects to Query XML: lists become `<member>` elements, as the Query protocol serializes them. */
function toQueryXml(value: unknown): XmlValue {
  if (Array.isArray(value)) return { member: value.map(toQueryXml) };
  if (value instanceof Date || typeof value !== 'object' || value === null) return value as XmlValue;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toQueryXml(v)]));
}

function epochSeconds(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}
