import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../aws-error';
import type { RequestContext, ServiceModule } from '../service';
import { readBody } from './body';

/** An operation of a JSON-protocol service: parsed input in, plain output object out; throws AwsError. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonOperation = (input: any, ctx: RequestContext) => Promise<unknown> | unknown;

export interface JsonServiceOptions {
  name: string;
  /** The X-Amz-Target prefix, e.g. `SageMaker` or `AWSStepFunctions`. */
  targetPrefix: string;
  /** `1.0` (Step Functions) or `1.1` (SageMaker). */
  jsonVersion: '1.0' | '1.1';
  operations: Record<string, JsonOperation>;
  close?: () => Promise<void>;
}

/**
 * The awsJson1_0 / awsJson1_1 protocols: POST / with `X-Amz-Target: Prefix.Operation` and a JSON body;
 * errors are `{"__type": "Code", "message": "…"}` with the `x-amzn-ErrorType` header, as the SDKs, the CLI and boto3 parse them.
 */
export function jsonService(options: JsonServiceOptions): ServiceModule {
  const { name, targetPrefix, jsonVersion, operations } = options;
  return {
    name,
    handles: (req) => String(req.headers['x-amz-target'] ?? '').startsWith(`${targetPrefix}.`),
    close: options.close,
    async handle(req, res, ctx) {
      const operation = String(req.headers['x-amz-target']).slice(targetPrefix.length + 1);
      try {
        const op = operations[operation];
        if (!op) throw new AwsError('UnknownOperationException', `Operation ${operation} is not supported by the embedded ${name}`, 400);
        const input = await parseJson(req);
        await ctx.authorize?.(operation, input);
        const output = (await op(input, ctx)) ?? {};
        sendJson(res, 200, output, jsonVersion, ctx);
      } catch (error) {
        sendJsonError(res, error, jsonVersion, ctx);
      }
    },
  };
}

async function parseJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req);
  if (body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed;
  } catch {
    throw new AwsError('SerializationException', 'Request body is not a valid JSON object', 400);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, jsonVersion: string, ctx: RequestContext): void {
  const text = JSON.stringify(body, dateReplacer);
  res.writeHead(status, {
    'content-type': `application/x-amz-json-${jsonVersion}`,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': ctx.requestId,
  });
  res.end(text);
}

export function sendJsonError(res: ServerResponse, error: unknown, jsonVersion: string, ctx: RequestContext): void {
  const e = error instanceof AwsError ? error : new AwsError('InternalFailure', (error as Error)?.message ?? String(error), 500);
  if (!res.headersSent) res.setHeader('x-amzn-errortype', e.code);
  sendJson(res, e.status, { __type: e.code, message: e.message }, jsonVersion, ctx);
}

/** AWS JSON protocols send timestamps as epoch seconds. */
function dateReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}
