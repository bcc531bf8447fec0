import type { ServerResponse } from 'node:http';
import { AwsError } from '../aws-error';
import type { RequestContext } from '../service';

/** SageMaker Runtime's modeled client error (HTTP 400) — note: `ValidationError`, not the control plane's `ValidationException`. */
export const runtimeValidationError = (message: string) => new AwsError('ValidationError', message, 400);

/** The container answered with an error: HTTP 424 with the container's status and body, as the real runtime reports it. */
export class ModelError extends AwsError {
  constructor(
    message: string,
    readonly originalStatusCode?: number,
    readonly originalMessage?: string,
  ) {
    super('ModelError', message, 424);
  }
}

/** restJson1 errors: `x-amzn-ErrorType` plus a JSON body with the modeled members (Message, OriginalStatusCode, …). */
export function sendRuntimeError(res: ServerResponse, error: unknown, ctx: RequestContext): void {
  const e = error instanceof AwsError ? error : new AwsError('InternalFailure', String((error as Error)?.message ?? error), 500);
  const body: Record<string, unknown> = { Message: e.message, message: e.message };
  if (e instanceof ModelError) {
    body.ErrorCode = e.originalStatusCode && e.originalStatusCode >= 500 ? 'SERVER_ERROR_FROM_MODEL' : 'CLIENT_ERROR_FROM_MODEL';
    body.OriginalStatusCode = e.originalStatusCode;
    body.OriginalMessage = e.originalMessage;
    body.LogStreamArn = `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:/aws/sagemaker/Endpoints`;
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(e.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-errortype': e.code,
    'x-amzn-requestid': ctx.requestId,
  });
  res.end(text);
}
