import { AwsError } from '../aws-error';
import type { RoleRecord } from '../iam/role-store';
import type { SessionRegistry } from '../iam/sessions';
import { queryService, requiredParam } from '../protocols/query';
import type { ServiceModule } from '../service';

const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StsServiceOptions {
  sessions: SessionRegistry;
  /** A role of the embedded IAM by ARN. */
  role(arn: string): RoleRecord | undefined;
}

/**
 * The embedded STS. GetCallerIdentity: the role session a request is signed with (`assumed-role/<role>/<session>`),
 * else the root of the local account (what `aws sts get-caller-identity` and CDK ask). AssumeRole: temporary
 * credentials of a role of the embedded IAM, whose calls IAM then evaluates against that role's policies.
 */
export function createStsService(options?: StsServiceOptions): ServiceModule {
  return queryService({
    name: 'sts',
    signingName: 'sts',
    xmlns: STS_XMLNS,
    operations: {
      GetCallerIdentity: (_params, ctx) => {
        const session = options?.sessions.find(ctx.accessKeyId);
        if (session) return { Arn: session.principalArn, UserId: session.userId, Account: ctx.accountId };
        return { Arn: `arn:aws:iam::${ctx.accountId}:root`, UserId: ctx.accountId, Account: ctx.accountId };
      },
      AssumeRole: (params, ctx) => {
        if (!options) throw new AwsError('InvalidAction', 'The action AssumeRole is not valid for this web service.', 400);
        const roleArn = requiredParam(params, 'RoleArn');
        const sessionName = requiredParam(params, 'RoleSessionName');
        if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
          throw new AwsError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`, 400);
        }
        if (!/^arn:aws:iam::\d{12}:role\/.+$/.test(roleArn) || roleArn.length < 20 || roleArn.length > 2048) {
          throw new AwsError('ValidationError', `${roleArn} is invalid`, 400);
        }
        const role = options.role(roleArn);
        const duration = params.DurationSeconds === undefined ? 3600 : Number(params.DurationSeconds);
        if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
          throw new AwsError('ValidationError', `1 validation error detected: Value '${params.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`, 400);
        }
        if (!role || role.Arn !== roleArn) {
          const caller = options.sessions.find(ctx.accessKeyId)?.principalArn ?? `arn:aws:iam::${ctx.accountId}:root`;
          throw new AwsError('AccessDenied', `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
        }
        if (duration > role.MaxSessionDuration) {
          throw new AwsError('ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`, 400);
        }
        const session = options.sessions.issue(role.Arn, sessionName, duration);
        return {
          Credentials: {
            AccessKeyId: session.accessKeyId,
            SecretAccessKey: session.secretAccessKey,
            SessionToken: session.sessionToken,
            Expiration: session.expiration,
          },
          AssumedRoleUser: { AssumedRoleId: session.userId, Arn: session.principalArn },
        };
      },
    },
  });
}
