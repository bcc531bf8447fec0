import { request, type Agent } from 'node:http';
import type { Readable } from 'node:stream';

/** A request body read from elsewhere as it is sent (an async input in S3), with its size for Content-Length. */
export interface StreamedBody {
  size: number;
  stream: Readable;
}

export interface ContainerAnswer {
  status: number;
  contentType?: string;
  /** The container's `X-Amzn-SageMaker-Custom-Attributes`, handed back to the caller. */
  customAttributes?: string;
  body: Buffer;
}

export class ContainerTimeout extends Error {
  override readonly name = 'ContainerTimeout';
}

/** A model server to call: its base URL and the keep-alive agent that holds its connections. */
export interface ContainerTarget {
  url: string;
  agent: Agent;
}

/**
 * POST /invocations to one model server, Content-Type, Accept and SageMaker's pass-through headers passed on, bounded by
 * `timeoutMs`. A streamed body is piped through and destroyed (its file closed) if the call fails first.
 */
export function invokeContainer(
  target: ContainerTarget,
  body: Buffer | StreamedBody,
  contentType: string | undefined,
  accept: string | undefined,
  timeoutMs: number,
  passThrough: Record<string, string> = {},
): Promise<ContainerAnswer> {
  return new Promise((resolve, reject) => {
    const streamed = Buffer.isBuffer(body) ? undefined : body;
    const headers: Record<string, string | number> = { ...passThrough, 'content-length': streamed ? streamed.size : (body as Buffer).length };
    if (contentType) headers['content-type'] = contentType;
    if (accept) headers.accept = accept;
    const req = request(`${target.url}/invocations`, { method: 'POST', headers, agent: target.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const customAttributes = res.headers['x-amzn-sagemaker-custom-attributes'];
        resolve({
          status: res.statusCode ?? 500,
          contentType: res.headers['content-type'],
          customAttributes: Array.isArray(customAttributes) ? customAttributes[0] : customAttributes,
          body: Buffer.concat(chunks),
        });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new ContainerTimeout(`no response within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      streamed?.stream.destroy();
      reject(error);
    });
    if (!streamed) req.end(body);
    else {
      streamed.stream.once('error', (error) => req.destroy(error));
      streamed.stream.pipe(req);
    }
  });
}
