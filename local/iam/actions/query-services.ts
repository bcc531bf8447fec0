import { LOCAL_ACCOUNT_ID } from '../../service';
import type { CallAuthorization } from './check';

/**
 * Step Functions: executions by executionArn, state machines by stateMachineArn, List* on `*`. SendTask* are not
 * evaluated: the Service Authorization Reference (and so iam-simulate) lists them as wildcard-only, while AWS in fact
 * authorizes them on the state machine of the token's execution (its AccessDenied names `…:stateMachine:<name>`,
 * and CDK's grantTaskResponse scopes them so) — no evaluation here would be faithful to both.
 */
export const stepFunctionsAuthorization: CallAuthorization = (operation, input) => {
  if (operation.startsWith('SendTask')) return [];
  const resource = String(input.executionArn ?? input.stateMachineArn ?? '*');
  return [{ action: `states:${operation}`, resource }];
};

/**
 * SNS: the topic the call names (TopicArn, TargetArn, or CreateTopic's Name); List* on `*`. Publishing to a topic
 * encrypted with a KMS key also needs kms:GenerateDataKey and kms:Decrypt on that key (SNS's SSE documentation).
 */
export const snsAuthorization: CallAuthorization = (operation, input, ctx, lookups) => {
  if (operation.startsWith('List') && input.TopicArn === undefined) return [{ action: `sns:${operation}`, resource: '*' }];
  const named = input.TopicArn ?? input.TargetArn ?? (input.Name === undefined ? undefined : `arn:aws:sns:${ctx.region}:${LOCAL_ACCOUNT_ID}:${String(input.Name)}`);
  const topic = String(named ?? '*');
  const checks = [{ action: `sns:${operation}`, resource: topic }];
  const key = operation === 'Publish' ? lookups.topicKey(topic) : undefined;
  if (key) checks.push({ action: 'kms:GenerateDataKey', resource: key }, { action: 'kms:Decrypt', resource: key });
  return checks;
};

/** STS: AssumeRole on the role (its trust policy is the resource policy); GetCallerIdentity needs no permission. */
export const stsAuthorization: CallAuthorization = (operation, input) =>
  operation === 'GetCallerIdentity' ? [] : [{ action: `sts:${operation}`, resource: String(input.RoleArn ?? '*') }];

/** IAM: role actions on `arn:aws:iam::<account>:role/<RoleName>` (with its path for CreateRole), ListRoles on `*`. */
export const iamAuthorization: CallAuthorization = (operation, input) => {
  if (input.RoleName === undefined) return [{ action: `iam:${operation}`, resource: '*' }];
  const path = typeof input.Path === 'string' ? input.Path : '/';
  return [{ action: `iam:${operation}`, resource: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role${path}${String(input.RoleName)}` }];
};
