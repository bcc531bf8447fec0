import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AwsError } from './aws-error';

/**
 * The front door of the embedded AWS. It checks no signatures and has no users, and a deployment's `environment`
 * reaches a model process (NODE_OPTIONS …), so whoever can send it an API call can run code as the developer. Its
 * only callers are meant to be processes on this machine (SDKs, the AWS CLI, boto3, `aep`, tests) — never a web
 * page the developer happens to have open. Every request passes these checks, in order, before any service sees it:
 *
 * 1. **Host** is a loopback name — `127.0.0.1`, `localhost` or `[::1]`, with this server's port or none. A page
 *    that rebinds its own DNS name to 127.0.0.1 sends `Host: attacker.example:4566`: refused (DNS rebinding).
 * 2. **No foreign browser origin**: an `Origin` header other than this server's own (`null` included), or
 *    `Sec-Fetch-Site` other than `same-origin`/`none`, marks a request a web page made; refused. `OPTIONS` (a CORS
 *    preflight) is refused and no CORS header is ever sent, so a page cannot add the headers the next rules need.
 * 3. By route:
 *    - **API calls** (everything outside `/_aep/`) need the AWS request shape: a SigV4 (or S3 SigV2) `Authorization`
 *      header, a presigned query (SigV4 `X-Amz-Algorithm`/`X-Amz-Credential`/`X-Amz-Signature`, or S3's SigV2
 *      `AWSAccessKeyId`/`Signature`/`Expires`), or an `X-Amz-*` header. Every AWS SDK, the AWS CLI and boto3 send
 *      one; an HTML form or a `text/plain` fetch cannot. Signatures are not verified (there is no secret to check
 *      them against): the shape is what a page cannot produce without a preflight, and preflights are refused.
 *    - **Admin routes** (`/_aep/…`: faults, SNS messages) need the per-start token in `X-Aep-Admin-Token`. It is
 *      random per start, written to `<data dir>/admin-token` (mode 0600) and on `EmbeddedAws.adminToken`.
 *    - **Open routes** (`/_aep/health`) need only rules 1–2: they reveal nothing.
 *    - **Browser routes** (opt-in, e.g. the console at `/_aep/console/`) need only rules 1–2: a page the developer
 *      opens from this server is same-origin (its requests carry this server's Origin, or none on a top-level GET),
 *      so it may read and act without a token or AWS shape. A route opts in with `allowBrowserRoute(prefix)` on the
 *      dispatcher's guard; everything under that prefix is then served to same-origin browser requests.
 */
export const ADMIN_TOKEN_HEADER = 'x-aep-admin-token';
export const ADMIN_PREFIX = '/_aep/';
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);
const OPEN_ROUTES = new Set(['/_aep/health']);
const SAME_SITE_FETCHES = new Set(['same-origin', 'none']);

export type RouteAccess = 'api' | 'admin' | 'open' | 'browser';

export class RequestGuard {
  private readonly browserPrefixes: string[] = [];

  constructor(
    readonly adminToken: string,
    /** Where the token is written, for the refusal message. */
    private readonly tokenFile?: string,
  ) {}

  /** Serves everything under `prefix` (a `/_aep/…` path) to same-origin browser requests: no token, no AWS shape. */
  allowBrowserRoute(prefix: string): void {
    if (!prefix.startsWith(ADMIN_PREFIX)) throw new Error(`a browser route must live under ${ADMIN_PREFIX} (got ${prefix})`);
    this.browserPrefixes.push(prefix);
  }

  access(pathname: string): RouteAccess {
    if (!pathname.startsWith(ADMIN_PREFIX)) return 'api';
    if (OPEN_ROUTES.has(pathname)) return 'open';
    // `/_aep/console` (the redirect to `/_aep/console/`) belongs to the route too
    const inRoute = (prefix: string) => pathname.startsWith(prefix) || `${pathname}/` === prefix;
    return this.browserPrefixes.some(inRoute) ? 'browser' : 'admin';
  }

  /**
   * Why a request is refused, or undefined when it may be served. `service` is the module that would serve it, so
   * an unsigned API call is refused with that service's own code (S3's AccessDenied, the JSON services'
   * MissingAuthenticationTokenException, the Query services' MissingAuthenticationToken).
   */
  refusal(req: IncomingMessage, url: URL, port: number, service: string | undefined): AwsError | undefined {
    const host = req.headers.host;
    if (!isLoopbackHost(host, port)) {
      return new AwsError(
        'InvalidHostHeader',
        `Host ${JSON.stringify(host ?? '')} is not this server: the embedded AWS answers only to 127.0.0.1, localhost or [::1] on port ${port} (a foreign name is how DNS rebinding reaches a local server)`,
        403,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !isLoopbackOrigin(origin, port)) {
      return crossOrigin(`a request from the web page at ${origin}`);
    }
    const site = header(req, 'sec-fetch-site');
    if (site !== undefined && !SAME_SITE_FETCHES.has(site)) return crossOrigin(`a ${site} request made by a web page`);
    if (req.method === 'OPTIONS') return crossOrigin('a CORS preflight');

    switch (this.access(url.pathname)) {
      case 'open':
      case 'browser':
        return undefined;
      case 'admin':
        return this.hasAdminToken(req)
          ? undefined
          : new AwsError(
              'AccessDenied',
              `${url.pathname} is an admin route of the embedded AWS: send the per-start token in the ${ADMIN_TOKEN_HEADER} header (it is in ${this.tokenFile ?? '<data dir>/admin-token'})`,
              403,
            );
      case 'api':
        return hasAwsShape(req, url) ? undefined : missingAuthentication(service);
    }
  }

  private hasAdminToken(req: IncomingMessage): boolean {
    const given = Buffer.from(header(req, ADMIN_TOKEN_HEADER) ?? '');
    const expected = Buffer.from(this.adminToken);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/**
 * `127.0.0.1:4566`, `localhost`, `[::1]:4566` — a loopback name, with this port or none. `<bucket>.localhost` too
 * (S3 virtual-hosted style): names under .localhost never leave the machine (RFC 6761; browsers resolve them to
 * loopback themselves), so no foreign page can rebind one.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!match) return false;
  const name = match[1];
  if (!LOOPBACK_NAMES.has(name) && !/^[a-z0-9.-]+\.localhost$/.test(name)) return false;
  return match[2] === undefined || Number(match[2]) === port;
}

/** This server's own origin under any of its loopback names; `null` (sandboxed frames, file://) is foreign. */
function isLoopbackOrigin(origin: string, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && url.pathname === '/' && isLoopbackHost(url.host, port) && url.port === String(port);
}

/** What every AWS client sends and no HTML form or simple cross-origin request can. */
function hasAwsShape(req: IncomingMessage, url: URL): boolean {
  if (/^(AWS4-HMAC-SHA256 Credential=|AWS [^:\s]+:)/.test(header(req, 'authorization') ?? '')) return true;
  const query = url.searchParams;
  if (query.has('X-Amz-Algorithm') && query.has('X-Amz-Credential') && query.has('X-Amz-Signature')) return true;
  // S3's SigV2 presigned URLs, which the AWS CLI and boto3 still make for us-east-1
  if (query.has('AWSAccessKeyId') && query.has('Signature') && query.has('Expires')) return true;
  return Object.keys(req.headers).some((name) => name.startsWith('x-amz-'));
}

function crossOrigin(what: string): AwsError {
  return new AwsError(
    'CrossOriginRequestRefused',
    `Refused ${what}: the embedded AWS serves processes on this machine, not web pages (no CORS)`,
    403,
  );
}

function missingAuthentication(service: string | undefined): AwsError {
  const why = 'the embedded AWS accepts AWS requests only (a SigV4 Authorization header, a presigned URL or X-Amz-* headers)';
  if (service === 's3') return new AwsError('AccessDenied', `Access Denied: ${why}`, 403);
  if (service === 'sns' || service === 'sts') return new AwsError('MissingAuthenticationToken', `Request is missing Authentication Token: ${why}`, 403);
  return new AwsError('MissingAuthenticationTokenException', `Missing Authentication Token: ${why}`, 403);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
