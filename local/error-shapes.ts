import type { ServerResponse } from 'node:http';
import type { AwsError } from './aws-error';
import type { RequestContext } from './service';

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Renders an error in the wire shape of the service that would have answered: S3's `<Error>`, the Query
 * protocol's `<ErrorResponse>` (SNS, STS, or `query`), or the JSON protocols' `__type` (`json-1.0`, `rest-json`, else 1.1). Used where the dispatcher answers
 * for a module (injected faults, unroutable requests); modules render their own errors the same way.
 */
export function sendServiceError(service: string, res: ServerResponse, error: AwsError, ctx: RequestContext): void {
  let type: string;
  let body: string;
  if (service === 's3') {
    type = 'application/xml';
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message><RequestId>${ctx.requestId}</RequestId></Error>`;
  } else if (service === 'sns' || service === 'sts' || service === 'query') {
    type = 'text/xml';
    body = `<ErrorResponse><Error><Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${ctx.requestId}</RequestId></ErrorResponse>`;
  } else {
    type = service === 'rest-json' ? 'application/json' : service === 'json-1.0' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    body = JSON.stringify({ __type: error.code, message: error.message });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(error.status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': ctx.requestId,
    'x-amz-request-id': ctx.requestId,
    'x-amzn-errortype': error.code,
  });
  res.end(body);
}
