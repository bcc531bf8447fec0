import type { IncomingMessage } from 'node:http';

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Why a request to the console must be refused, or undefined when it may be served. The console shows everything
 * the embedded AWS holds, so it answers only what a person's browser asks of it directly:
 * - a loopback Host naming this server's port: a foreign name means DNS rebinding (a web page's host name pointed
 *   at 127.0.0.1), whose requests would otherwise count as same-origin for that page;
 * - no Origin, or this server's own: another site's page (cross-origin fetch, form, script) is refused, as is a
 *   browser's Sec-Fetch-Site saying the request came from another site;
 * - GET or HEAD only: it is read-only.
 */
export function consoleRequestProblem(req: IncomingMessage, serverUrl: string): { status: number; message: string } | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, message: `The console is read-only: ${req.method} is not allowed` };
  const port = new URL(serverUrl).port;
  const host = String(req.headers.host ?? '');
  if (!LOOPBACK_HOSTS.some((name) => host === `${name}:${port}`)) {
    return { status: 403, message: `Host ${JSON.stringify(host)} is not this server: open the console at ${serverUrl}/_aep/console/` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    return { status: 403, message: `Cross-origin request from ${origin} refused: the console answers only its own pages` };
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, message: `Request from another site (Sec-Fetch-Site: ${String(site)}) refused` };
  }
  return undefined;
}
