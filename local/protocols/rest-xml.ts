import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { AwsError } from '../aws-error';
import type { RequestContext } from '../service';
import { readBody } from './body';
import { parseXml, xmlDocument, xmlElement, type XmlElement } from './xml';

/** S3's XML namespace, on every response document. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Largest XML request body accepted (S3 caps a 1,000-key Delete at about this size). */
export const MAX_XML_BODY_BYTES = 2 * 1024 * 1024;

/** Headers every REST-XML (S3) response carries: the request id under both of S3's names. */
export function requestIdHeaders(ctx: RequestContext): OutgoingHttpHeaders {
  return { 'x-amz-request-id': ctx.requestId, 'x-amz-id-2': Buffer.from(ctx.requestId).toString('base64') };
}

export function sendXml(
  res: ServerResponse,
  ctx: RequestContext,
  root: string,
  body: XmlElement | string,
  headers: OutgoingHttpHeaders = {},
  status = 200,
): void {
  const text = xmlDocument(root, body, S3_XMLNS);
  res.writeHead(status, {
    ...requestIdHeaders(ctx),
    ...headers,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A success without a body (204, a PUT's 200, a HEAD — whose Content-Length, if given, describes the object). */
export function sendEmpty(res: ServerResponse, ctx: RequestContext, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...requestIdHeaders(ctx), 'content-length': 0, ...headers });
  res.end();
}

/**
 * Renders an error as S3 does: `<Error><Code/><Message/>…extra fields…<RequestId/><HostId/></Error>`; a HEAD
 * response carries only the status (S3 sends no body, so clients see just `404`/`NotFound`).
 * If the request body was not read to the end, the connection is closed rather than draining it.
 */
export function sendRestXmlError(req: IncomingMessage, res: ServerResponse, error: unknown, ctx: RequestContext): void {
  const e = toAwsError(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: OutgoingHttpHeaders = { ...requestIdHeaders(ctx), 'content-type': 'application/xml' };
  if (!req.complete) headers.connection = 'close';
  if (e.code === 'InvalidRange' && e.extra.ActualObjectSize) headers['content-range'] = `bytes */${e.extra.ActualObjectSize}`;
  if (req.method === 'HEAD' || e.status === 304) {
    res.writeHead(e.status, { ...headers, 'content-length': 0 });
    res.end();
    return;
  }
  const extra = Object.entries(e.extra)
    .map(([name, value]) => xmlElement(name, value))
    .join('');
  const text =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${xmlElement('Code', e.code)}${xmlElement('Message', e.message)}${extra}` +
    `${xmlElement('RequestId', ctx.requestId)}${xmlElement('HostId', String(headers['x-amz-id-2']))}</Error>`;
  res.writeHead(e.status, { ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function toAwsError(error: unknown): AwsError {
  if (error instanceof AwsError) return error;
  return new AwsError('InternalError', `We encountered an internal error. Please try again. (${(error as Error)?.message ?? error})`, 500);
}

/** Reads an XML request body's bytes; too large → MaxMessageLengthExceeded, as S3 says it. */
export async function readXmlBytes(req: IncomingMessage): Promise<Buffer> {
  try {
    return await readBody(req, MAX_XML_BODY_BYTES);
  } catch (error) {
    if (error instanceof AwsError && error.status === 413) {
      throw new AwsError('MaxMessageLengthExceeded', 'Your request was too big.', 400, { MaxMessageLengthBytes: String(MAX_XML_BODY_BYTES) });
    }
    throw error;
  }
}

/** Reads and parses an XML request body (see parseXml: not well-formed → MalformedXML). */
export async function readXmlBody(req: IncomingMessage, lists: readonly string[] = []): Promise<{ raw: Buffer; xml: Record<string, unknown> }> {
  const raw = await readXmlBytes(req);
  return { raw, xml: parseXml(raw.toString('utf8'), lists) };
}
