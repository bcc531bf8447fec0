import type { IncomingMessage } from 'node:http';
import type { FaultCall } from './faults';
import type { RequestContext } from './service';

/**
 * Names a request the way fault rules do: service, operation and resource — read from the headers and the path
 * only, so the body stays untouched for the module that serves it.
 */
export function describeCall(service: string, req: IncomingMessage, ctx: RequestContext): FaultCall {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return { service, operation: target.split('.').pop() };
  if (service === 's3') return { service, ...s3Call(req, ctx.url) };
  if (service === 'sagemaker-runtime') {
    const match = /^\/endpoints\/([^/]+)\/(async-)?invocations$/.exec(ctx.url.pathname);
    return {
      service,
      operation: match?.[2] ? 'InvokeEndpointAsync' : 'InvokeEndpoint',
      resource: match ? safeDecode(match[1]) : undefined,
    };
  }
  return { service, operation: ctx.url.searchParams.get('Action') ?? undefined };
}

function s3Call(req: IncomingMessage, url: URL): { operation: string; resource: string } {
  const resource = safeDecode(url.pathname.slice(1));
  const hasKey = resource.includes('/') && !resource.endsWith('/');
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  let operation: string;
  if (method === 'PUT') {
    operation = !hasKey ? 'CreateBucket' : q.has('partNumber') ? 'UploadPart' : req.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  } else if (method === 'POST') {
    operation = q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : q.has('delete') ? 'DeleteObjects' : 'PostObject';
  } else if (method === 'DELETE') {
    operation = !hasKey ? 'DeleteBucket' : q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  } else if (method === 'HEAD') {
    operation = hasKey ? 'HeadObject' : 'HeadBucket';
  } else {
    operation = !hasKey ? (resource ? 'ListObjectsV2' : 'ListBuckets') : 'GetObject';
  }
  return { operation, resource };
}

/** A malformed escape (`%E0%A4%A`) must reach the service, which answers it in its own terms, not crash routing. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
