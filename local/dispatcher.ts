import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError } from './aws-error';
import { sendServiceError } from './error-shapes';
import { describeCall } from './fault-points';
import { FaultInjector, type FaultCall } from './faults';
import { serveInProcess } from './in-process-connections';
import { newAdminToken } from './admin-token';
import { RequestGuard } from './request-guard';
import { LOCAL_ACCOUNT_ID, type RequestContext, type ServiceModule } from './service';
import { sendUnhandledRequest, unclaimedProtocol } from './unhandled-request';

/** The embedded AWS only ever listens on loopback: it has no authentication worth the name. */
export const LOOPBACK = '127.0.0.1';

/**
 * One HTTP server for every service, routing each request to the first module that claims it — by the SigV4
 * credential scope, then `X-Amz-Target`, then path — as LocalStack does with its one gateway.
 */
export class Dispatcher {
  private readonly server: Server;
  private readonly modules: ServiceModule[] = [];
  private stopServingInProcess = () => undefined as void;
  private readonly callListeners = new Set<(call: FaultCall) => void>();

  private listeningPort?: number;

  constructor(
    private readonly region = process.env.AWS_REGION ?? 'us-east-1',
    /** Rules that make matching calls fail or stall; see local/faults.ts. */
    readonly faults = new FaultInjector(),
    /** IAM enforcement: authorizes each operation a module resolves (local/iam/authorizer.ts). */
    private readonly authorizer?: Authorizer,
    /** Host, Origin, AWS shape and admin token checks on every request; see local/request-guard.ts. */
    readonly guard = new RequestGuard(newAdminToken()),
  ) {
    this.server = createServer((req, res) => void this.route(req, res));
    // Model containers and long polls keep connections open; do not let idle sockets hold shutdown.
    this.server.keepAliveTimeout = 5_000;
  }

  register(module: ServiceModule): this {
    this.modules.push(module);
    return this;
  }

  async listen(port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, LOOPBACK, () => resolve());
    });
    // Clients in this process (the step handlers) reach this server without a socket, through the same route.
    this.stopServingInProcess = serveInProcess(this.port, this.server);
    return this.url;
  }

  /** Hears every call a module serves, named as fault rules name it (bench/cloud-cost.ts counts a run's). Returns the unsubscribe. */
  onCall(listener: (call: FaultCall) => void): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  /** Read once when listening: server.address() costs a native call, and every request's Host check needs it. */
  get port(): number {
    this.listeningPort ??= (this.server.address() as AddressInfo).port;
    return this.listeningPort;
  }

  async close(): Promise<void> {
    this.stopServingInProcess();
    for (const module of [...this.modules].reverse()) await module.close?.();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ctx = this.context(req);
    try {
      const module = this.modules.find((m) => m.handles(req, ctx));
      const refused = this.guard.refusal(req, ctx.url, this.port, module?.name);
      if (refused) {
        req.resume();
        if (this.guard.access(ctx.url.pathname) === 'browser') {
          // a browser shows this page: plain text, not an AWS error document it cannot render
          const text = `${refused.code}: ${refused.message}\n`;
          res.writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
          res.end(text);
          return;
        }
        // Unsigned, a request names no service: answer in its protocol, so a Query client (STS, SNS) can parse it.
        const protocol = module?.name ?? unclaimedProtocol(req, ctx.url);
        const error = protocol === 'query' && refused.code === 'MissingAuthenticationTokenException' ? new AwsError('MissingAuthenticationToken', refused.message, refused.status) : refused;
        sendServiceError(protocol, res, error, ctx);
        return;
      }
      if (!module) return await sendUnhandledRequest(req, res, ctx);
      const call = describeCall(module.name, req, ctx);
      if (call.operation === undefined && module.namesOperationInBody) {
        // Heard and checked once the module has read the Action from the body (see RequestContext.operationNamed).
        ctx.operationNamed = (operation) => this.admit({ ...call, operation });
      } else {
        try {
          await this.admit(call);
        } catch (error) {
          if (!(error instanceof AwsError)) throw error;
          req.resume();
          sendServiceError(module.name, res, error, ctx);
          return;
        }
      }
      const authorizer = this.authorizer;
      if (authorizer) ctx.authorize = (operation, input) => authorizer.authorize(module.name, operation, input, ctx);
      await module.handle(req, res, ctx);
    } catch (error) {
      // Modules render their own errors; this is the last line for a bug, so the server keeps serving.
      const e = error instanceof AwsError ? error : new AwsError('InternalFailure', String((error as Error)?.message ?? error), 500);
      sendServiceError('json', res, e, ctx);
    }
  }

  /** Tells the listeners of a call, then applies the fault rules to it: throws the injected error, or waits the delay. */
  private async admit(call: FaultCall): Promise<void> {
    for (const listener of this.callListeners) listener(call);
    const fault = this.faults.check(call);
    if (fault && 'error' in fault) throw fault.error;
    if (fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  }

  private context(req: IncomingMessage): RequestContext {
    // The Host header is the client's word (the guard checks it): the path is parsed against our own address.
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    const scope = credentialScope(req, url);
    return {
      signingName: scope?.service,
      region: scope?.region ?? this.region,
      accountId: LOCAL_ACCOUNT_ID,
      requestId: randomUUID(),
      url,
      accessKeyId: scope?.accessKeyId,
    };
  }
}

/** `Credential=AKID/20261125/us-east-1/sagemaker/aws4_request` from the Authorization header or a presigned URL. */
export function credentialScope(req: IncomingMessage, url: URL): { accessKeyId: string; region: string; service: string } | undefined {
  const header = String(req.headers.authorization ?? '');
  const credential = /Credential=([^,\s]+)/.exec(header)?.[1] ?? url.searchParams.get('X-Amz-Credential') ?? undefined;
  const parts = credential?.split('/');
  return parts && parts.length >= 5 ? { accessKeyId: parts[0], region: parts[2], service: parts[3] } : undefined;
}

/** What the dispatcher needs of IAM enforcement. */
export interface Authorizer {
  authorize(service: string, operation: string, input: Record<string, unknown>, ctx: RequestContext): Promise<void>;
}
