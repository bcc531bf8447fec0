import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the dispatcher learnt about a request before handing it to a service. */
export interface RequestContext {
  /** The SigV4 signing name from the credential scope (`s3`, `sagemaker`, `sns`, `sts`, `states`), if signed. */
  signingName?: string;
  region: string;
  accountId: string;
  requestId: string;
  url: URL;
  /** The SigV4 access key id the request was signed with: which principal is calling. */
  accessKeyId?: string;
  /**
   * Authorizes the operation the service resolved, with its parsed input (IAM enforcement, local/iam): throws
   * AccessDenied in the service's shape when the caller's role may not make this call. Absent when nothing is enforced.
   */
  authorize?: (operation: string, input: Record<string, unknown>) => Promise<void>;
  /**
   * Set when the dispatcher could not name the operation from the headers and path: a Query call names its Action in
   * the form body, which only the service reads. The service calls it once it has the name, so the call is heard and
   * checked against the fault rules by operation like any other (it throws the injected error).
   */
  operationNamed?: (operation: string) => Promise<void>;
}

/**
 * One AWS service of the embedded AWS (LocalStack's "provider"): one module per service behind the shared dispatcher.
 * `handles` claims a request; the first module that claims it serves it.
 */
export interface ServiceModule {
  readonly name: string;
  /** Its calls may name their operation in the body only (the Query protocol): it calls ctx.operationNamed. */
  readonly namesOperationInBody?: boolean;
  handles(req: IncomingMessage, ctx: RequestContext): boolean;
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void>;
  /** Stops background work (processes, timers); called on server shutdown. */
  close?(): Promise<void>;
}

export const LOCAL_ACCOUNT_ID = '000000000000';
