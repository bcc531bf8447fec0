import type { Simulation } from '@cloud-copilot/iam-simulate';
import { AwsError } from '../aws-error';
import { LOCAL_ACCOUNT_ID, type RequestContext } from '../service';
import { applicationAutoScalingAuthorization } from './actions/application-autoscaling';
import type { AuthorizationCheck, AuthorizationLookups, CallAuthorization } from './actions/check';
import { cloudWatchAuthorization } from './actions/cloudwatch';
import { eventBridgeAuthorization } from './actions/eventbridge';
import { iamAuthorization, snsAuthorization, stepFunctionsAuthorization, stsAuthorization } from './actions/query-services';
import { s3Authorization } from './actions/s3';
import { sageMakerAuthorization, sageMakerRuntimeAuthorization } from './actions/sagemaker';
import type { RoleSession, SessionRegistry } from './sessions';
import type { PolicyDocument, StackIam, StackRole } from './stack-iam';

/** How each embedded service's calls are authorized, by service module name. */
const AUTHORIZATIONS: Record<string, CallAuthorization> = {
  s3: s3Authorization,
  sagemaker: sageMakerAuthorization,
  'sagemaker-runtime': sageMakerRuntimeAuthorization,
  states: stepFunctionsAuthorization,
  sns: snsAuthorization,
  sts: stsAuthorization,
  iam: iamAuthorization,
  cloudwatch: cloudWatchAuthorization,
  'application-autoscaling': applicationAutoScalingAuthorization,
  events: eventBridgeAuthorization,
};

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface Denial {
  session: RoleSession;
  role: StackRole;
  check: AuthorizationCheck;
  /** AWS's reason clause: `because no identity-based policy allows the s3:GetObject action`, … */
  reason: string;
}

export interface IamEnforcementOptions {
  stack: StackIam;
  sessions: SessionRegistry;
  lookups: AuthorizationLookups;
  /** Where a denial is explained (which role, which step, where to grant it). */
  log: (line: string) => void;
}

/**
 * IAM for calls made with a session of one of the stack's roles (a step function's, the SageMaker execution role's
 * in a model container, or an AssumeRole of them): each authorization the call needs is evaluated with
 * @cloud-copilot/iam-simulate against the role's identity policies and the resource's policy from the synthesized
 * template; the first one denied fails the call as AWS fails it. Calls with any other credentials are not evaluated.
 */
export class IamEnforcement {
  constructor(private readonly options: IamEnforcementOptions) {}

  get source(): string {
    return this.options.stack.source;
  }

  async authorize(service: string, operation: string, input: Record<string, unknown>, ctx: RequestContext): Promise<void> {
    const session = this.options.sessions.find(ctx.accessKeyId);
    const role = session && this.options.stack.roles.get(session.roleName);
    const authorization = AUTHORIZATIONS[service];
    if (!session || !role || !authorization) return;
    for (const check of authorization(operation, input, ctx, this.options.lookups)) {
      const denial = await this.evaluate(session, role, check, ctx);
      if (denial) {
        this.options.log(explainDenial(denial, this.options.stack));
        throw accessDenied(service, denial);
      }
    }
  }

  /** The denial of one authorization, or undefined when it is allowed. */
  async evaluate(session: RoleSession, role: StackRole, check: AuthorizationCheck, ctx: Pick<RequestContext, 'region'>): Promise<Denial | undefined> {
    const resourcePolicy = this.resourcePolicyFor(check);
    const simulation: Simulation = {
      identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document as never })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy as never,
      request: {
        action: check.action,
        principal: session.principalArn,
        resource: { resource: check.resource, accountId: LOCAL_ACCOUNT_ID },
        contextVariables: { ...requestContext(session, ctx.region), ...check.context },
      },
    } as Simulation;
    // Loaded on first use: `aep local up` without a template (and every other command) does not pay for it.
    const { runSimulation } = await import('@cloud-copilot/iam-simulate');
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error') {
      throw new AwsError('InternalFailure', `IAM evaluation of ${check.action} on ${check.resource} failed: ${JSON.stringify(response.errors)}`, 500);
    }
    const decision = response.overallResult as Decision;
    if (decision === 'Allowed') return undefined;
    const analysis = response.resultType === 'single' ? response.result.analysis : undefined;
    const identity = analysis?.identityAnalysis?.result as Decision | undefined;
    const resource = analysis?.resourceAnalysis?.result as string | undefined;
    let reason: string;
    if (decision === 'ExplicitlyDenied') {
      reason = identity === 'ExplicitlyDenied' ? 'with an explicit deny in an identity-based policy' : 'with an explicit deny in a resource-based policy';
    } else {
      const policyType = identity === 'Allowed' && resource !== undefined ? 'resource-based' : 'identity-based';
      reason = `because no ${policyType} policy allows the ${displayAction(check.action)} action`;
    }
    return { session, role, check, reason };
  }

  private resourcePolicyFor(check: AuthorizationCheck): PolicyDocument | undefined {
    const { stack } = this.options;
    const { resource } = check;
    if (resource.startsWith('arn:aws:s3:::')) return stack.resourcePolicies.get(resource.split('/')[0]);
    if (check.action === 'sts:AssumeRole') return [...stack.roles.values()].find((r) => r.arn === resource)?.trustPolicy;
    return stack.resourcePolicies.get(resource);
  }
}

/** The global condition keys every call of a role session carries. */
function requestContext(session: RoleSession, region: string): Record<string, string> {
  const now = new Date();
  return {
    'aws:PrincipalArn': `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${session.roleName}`,
    'aws:PrincipalAccount': LOCAL_ACCOUNT_ID,
    'aws:PrincipalType': 'AssumedRole',
    'aws:userid': session.userId,
    'aws:RequestedRegion': region,
    // The embedded AWS is plain HTTP on loopback; the calls it stands for are HTTPS, so TLS-only policies hold.
    'aws:SecureTransport': 'true',
    'aws:SourceIp': '127.0.0.1',
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
  };
}

/** SNS spells its actions `SNS:Publish` in its messages; the others as in policies. */
function displayAction(action: string): string {
  return action.startsWith('sns:') ? `SNS:${action.slice(4)}` : action;
}

/** AWS's message: `User: <principal> is not authorized to perform: <action> on resource: <arn> because …`. */
export function denialMessage(service: string, denial: Denial): string {
  const { action, resource } = denial.check;
  const shownResource = service === 's3' ? `"${resource}"` : resource;
  return `User: ${denial.session.principalArn} is not authorized to perform: ${displayAction(action)} on resource: ${shownResource} ${denial.reason}`;
}

/** The error each service answers a denied call with, in its own protocol. */
export function accessDenied(service: string, denial: Denial): AwsError {
  const message = denialMessage(service, denial);
  switch (service) {
    case 's3':
    case 'sts':
    case 'iam':
    case 'cloudwatch':
      return new AwsError('AccessDenied', message, 403);
    case 'sns':
      return denial.check.action.startsWith('kms:') ? new AwsError('KMSAccessDenied', message, 400) : new AwsError('AuthorizationError', message, 403);
    default:
      return new AwsError('AccessDeniedException', message, 400);
  }
}

/** The log line that tells a developer which role was denied what, and where in infra/ to grant it. */
function explainDenial(denial: Denial, stack: StackIam): string {
  const step = [...stack.stepRoles].find(([, role]) => role === denial.role.name)?.[0];
  const where = step
    ? `the ${step} step's policy (infra/step-permissions.ts, case '${step}')`
    : `the policies of ${denial.role.logicalId} in infra/`;
  return (
    `aep local iam: DENIED ${denial.check.action} on ${denial.check.resource} to ${denial.session.principalArn} ${denial.reason}` +
    ` (evaluated against ${stack.source}). If the call is intended, grant it in ${where}, then \`npm run synth\` and restart.`
  );
}
