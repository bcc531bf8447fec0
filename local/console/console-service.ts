import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceModule } from '../service';
import type { ConsoleSources } from './console-api';
import { readUiFile, UI_FILES } from './ui-files';

export const CONSOLE_PATH = '/_aep/console/';

/** Where a person opens the console of the embedded AWS at `serverUrl`. */
export const consoleUrl = (serverUrl: string) => `${serverUrl}${CONSOLE_PATH}`;

/** The page may only talk to this server; nothing of it may be framed. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * The local console at /_aep/console/ (not an AWS API): the page, its scripts, and read-only JSON under api/.
 * The dispatcher's request guard serves it as a browser route (loopback Host, this server's own origin only: see
 * local/request-guard.ts); here it is also read-only, so a same-origin page can look but never change anything.
 */
export function createConsoleService(sources: ConsoleSources): ServiceModule {
  return {
    name: 'console',
    handles: (_req, ctx) => ctx.url.pathname === '/_aep/console' || ctx.url.pathname.startsWith(CONSOLE_PATH),
    async handle(req, res, ctx) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { message: `The console is read-only: ${req.method} is not allowed` });
      const path = ctx.url.pathname;
      if (path === '/_aep/console') {
        res.writeHead(308, { location: CONSOLE_PATH, ...SECURITY_HEADERS });
        res.end();
        return;
      }
      const rest = path.slice(CONSOLE_PATH.length);
      if (rest.startsWith('api/')) return api(rest.slice(4), ctx.url.searchParams, sources, req, res);
      const file = UI_FILES[rest];
      if (!file) return send(res, 404, { message: `No console page ${path}` });
      const body = Buffer.from(readUiFile(rest), 'utf8');
      res.writeHead(200, { 'content-type': file.type, 'content-length': body.length, ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}

async function api(route: string, query: URLSearchParams, sources: ConsoleSources, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Loaded on the first console call: its SDK clients are a large part of the embedded AWS's start-up otherwise.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { endpointDetails, executionView, listEndpoints, listExecutions, readObject } = require('./console-api') as typeof import('./console-api');
  try {
    switch (route) {
      case 'executions':
        return send(res, 200, { executions: listExecutions(sources) });
      case 'execution':
        return send(res, 200, await executionView(sources, required(query, 'arn')));
      case 'endpoints':
        return send(res, 200, { endpoints: await listEndpoints() });
      case 'endpoint':
        return send(res, 200, await endpointDetails(sources, required(query, 'name')));
      case 'object': {
        const object = await readObject(sources, required(query, 'uri'));
        if (!object) return send(res, 404, { message: 'No such object in the pipeline\'s buckets' });
        res.writeHead(200, {
          'content-type': 'text/plain; charset=utf-8',
          'content-length': object.body.length,
          ...(object.truncated ? { 'x-aep-truncated': 'true' } : {}),
          ...SECURITY_HEADERS,
          // An object is data, never a page: even opened directly it runs nothing.
          'content-security-policy': "default-src 'none'; sandbox",
        });
        res.end(req.method === 'HEAD' ? undefined : object.body);
        return;
      }
      default:
        return send(res, 404, { message: `No console API ${route}` });
    }
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e instanceof MissingParameter ? 400 : (e.$metadata?.httpStatusCode ?? 500);
    return send(res, status >= 400 && status < 600 ? status : 500, { error: e.name, message: e.message });
  }
}

class MissingParameter extends Error {
  override readonly name = 'MissingParameter';
}

function required(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (!value) throw new MissingParameter(`The query parameter ${name} is required`);
  return value;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...SECURITY_HEADERS });
  res.end(text);
}
