import type { PipelineResources } from '../pipeline-resources';
import type { AuthorizationLookups } from './actions/check';
import { IamEnforcement } from './authorizer';
import type { RoleRecord } from './role-store';
import { builtInRole } from './service';
import { roleNameOf, SessionRegistry, sessionEnvironment, type RoleSession } from './sessions';
import { loadStackIam, type StackIam } from './stack-iam';

export interface LocalIamOptions {
  names: PipelineResources;
  /** The environment the embedded AWS gives every step function (binds the template's resources to the local ones). */
  functionEnvironment: Record<string, string>;
  /** The synthesized template whose policies are enforced; none: nothing is evaluated. */
  templatePath?: string;
  lookups: AuthorizationLookups;
  log: (line: string) => void;
}

/** How long the credentials of a step function or a model container last before new ones are issued. */
const SERVICE_SESSION_SECONDS = 12 * 3600;

/**
 * The identities of the embedded AWS: the role sessions it issues (AssumeRole, each step function, each model
 * container), the pipeline's roles for IAM's GetRole/ListRoles, and — with a synthesized template — IAM enforcement.
 */
export class LocalIam {
  readonly sessions = new SessionRegistry();
  readonly stack?: StackIam;
  readonly enforcement?: IamEnforcement;
  private readonly stepSessions = new Map<string, RoleSession>();

  constructor(private readonly options: LocalIamOptions) {
    if (options.templatePath) {
      this.stack = loadStackIam(options.templatePath, options.names, options.functionEnvironment);
      this.enforcement = new IamEnforcement({ stack: this.stack, sessions: this.sessions, lookups: options.lookups, log: options.log });
    }
  }

  /** The session a step's handler calls AWS with: its function's role in the stack (none without a template). */
  stepSession(step: string): RoleSession | undefined {
    const roleName = this.stack?.stepRoles.get(step);
    const role = roleName === undefined ? undefined : this.stack?.roles.get(roleName);
    if (!role) return undefined;
    let session = this.stepSessions.get(step);
    if (!session || session.expiration.getTime() - Date.now() < 300_000) {
      session = this.sessions.issue(role.arn, `aep-${step}`, SERVICE_SESSION_SECONDS);
      this.stepSessions.set(step, session);
    }
    return session;
  }

  /**
   * What SageMaker gives a model container to reach AWS: the region, the endpoint URL (here, the embedded AWS) and
   * credentials of the model's execution role (session `SageMaker`, as SageMaker names it).
   */
  containerEnvironment(endpointUrl: string, region: string, executionRoleArn: string | undefined): Record<string, string> {
    const env: Record<string, string> = { AWS_REGION: region, AWS_DEFAULT_REGION: region, AWS_ENDPOINT_URL: endpointUrl };
    if (!executionRoleArn) return env;
    return { ...env, ...sessionEnvironment(this.sessions.issue(executionRoleArn, 'SageMaker', SERVICE_SESSION_SECONDS)) };
  }

  /** The pipeline's roles as IAM lists them: the stack's when its template is loaded, else the embedded AWS's own. */
  builtInRoles(): RoleRecord[] {
    if (this.stack) {
      return [...this.stack.roles.values()].map((r) => builtInRole(r.name, '', r.description ?? `aep: ${r.logicalId}`, r.trustPolicy));
    }
    const { names } = this.options;
    return [
      builtInRole(roleNameOf(names.sagemakerRoleArn), 'sagemaker.amazonaws.com', 'aep: SageMaker execution role of the pipeline models and asynchronous endpoints'),
      builtInRole(roleNameOf(names.stateMachineRoleArn), 'states.amazonaws.com', 'aep: role of the pipeline state machine'),
    ];
  }
}
