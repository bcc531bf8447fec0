import { applicationAutoScalingAuthorization } from '../../local/iam/actions/application-autoscaling';
import { cloudWatchAuthorization } from '../../local/iam/actions/cloudwatch';
import { eventBridgeAuthorization } from '../../local/iam/actions/eventbridge';
import { s3Authorization } from '../../local/iam/actions/s3';
import { sageMakerAuthorization } from '../../local/iam/actions/sagemaker';
import { snsAuthorization, stepFunctionsAuthorization } from '../../local/iam/actions/query-services';
import type { AuthorizationCheck, AuthorizationLookups } from '../../local/iam/actions/check';
import { IamEnforcement } from '../../local/iam/authorizer';
import { SessionRegistry } from '../../local/iam/sessions';
import { loadStackIam, stackIam, stepRoleName } from '../../local/iam/stack-iam';
import { pipelineFunctionEnvironment } from '../../local/lambda/function-environment';
import { pipelineResources, roleArn } from '../../local/pipeline-resources';
import type { RequestContext } from '../../local/service';
import { synthesizedTemplate } from '../helpers/stack-template';

/**
 * Each condition key the stack's policies rely on, evaluated against the synthesized template with the request
 * context the embedded AWS builds for the call: allowed when the key holds, denied (with AWS's reason) when it does not.
 */

const names = pipelineResources('us-east-1');
const stack = loadStackIam(synthesizedTemplate(), names, pipelineFunctionEnvironment(names));
const sessions = new SessionRegistry();
const tags = new Map<string, Array<{ Key: string; Value: string }>>();
const scalableTargets = new Map<string, string>();
const lookups: AuthorizationLookups = {
  sageMakerTags: (arn) => tags.get(arn),
  topicKey: (arn) => stack.topicKeys.get(arn),
  scalableTargetArn: (t) => scalableTargets.get(`${t.ServiceNamespace}/${t.ResourceId}/${t.ScalableDimension}`),
};
const enforcement = new IamEnforcement({ stack, sessions, lookups, log: () => undefined });
const ctx = { region: 'us-east-1', accountId: '000000000000', requestId: 'r', url: new URL('http://127.0.0.1/') } as RequestContext;
const PIPELINE_TAG = { Key: 'aep:pipeline', Value: names.pipelineId };

/** The decision for each check a step's role makes: 'allowed', or AWS's reason for the denial. */
async function decide(step: string, checks: AuthorizationCheck[]): Promise<string[]> {
  const role = stack.roles.get(stepRoleName(step))!;
  const session = sessions.issue(role.arn, `aep-${step}`);
  return Promise.all(checks.map(async (check) => (await enforcement.evaluate(session, role, check, ctx))?.reason ?? 'allowed'));
}

const sagemaker = (operation: string, input: Record<string, unknown>) => sageMakerAuthorization(operation, input, ctx, lookups);
const modelArn = 'arn:aws:sagemaker:us-east-1:000000000000:model/m-1';
const endpointArn = 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/e';
const noPolicy = (action: string) => `because no identity-based policy allows the ${action} action`;

test('the template binds to the local pipeline: step roles, the SageMaker role, bucket and topic policies', () => {
  expect([...stack.stepRoles.keys()].sort()).toContain('create-model');
  expect(stack.roles.get('aep-sagemaker-execution')?.arn).toBe(names.sagemakerRoleArn);
  expect([...stack.resourcePolicies.keys()]).toEqual(expect.arrayContaining(['arn:aws:s3:::aep-models', 'arn:aws:s3:::aep-artifacts', names.deploymentEventsTopicArn]));
  expect(stack.topicKeys.get(names.deploymentEventsTopicArn)).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\//);
});

test('aws:RequestTag: CreateModel only with the pipeline tag aep:pipeline=<pipelineId>', async () => {
  const create = (Tags?: unknown[]) => sagemaker('CreateModel', { ModelName: 'm-1', Tags })[0];
  expect(await decide('create-model', [create([PIPELINE_TAG]), create([{ Key: 'aep:pipeline', Value: 'other' }]), create()])).toEqual([
    'allowed',
    noPolicy('sagemaker:CreateModel'),
    noPolicy('sagemaker:CreateModel'),
  ]);
});

test('sagemaker:TaggingAction: AddTags only as part of the Create call', async () => {
  const onCreate = sagemaker('CreateModel', { ModelName: 'm-1', Tags: [PIPELINE_TAG] })[1];
  expect(onCreate).toMatchObject({ action: 'sagemaker:AddTags', context: { 'sagemaker:TaggingAction': 'CreateModel' } });
  const later = sagemaker('AddTags', { ResourceArn: modelArn, Tags: [PIPELINE_TAG] })[0];
  expect(await decide('create-model', [onCreate, later])).toEqual(['allowed', noPolicy('sagemaker:AddTags')]);
});

test('aws:ResourceTag: Rollback deletes only endpoints carrying the pipeline tag', async () => {
  tags.set(endpointArn, [PIPELINE_TAG]);
  const ours = sagemaker('DeleteEndpoint', { EndpointName: 'E' })[0];
  tags.set(endpointArn, [{ Key: 'team', Value: 'x' }]);
  const foreign = sagemaker('DeleteEndpoint', { EndpointName: 'E' })[0];
  expect(ours).toMatchObject({ resource: endpointArn, context: { 'aws:ResourceTag/aep:pipeline': names.pipelineId } });
  expect(await decide('rollback', [ours, foreign])).toEqual(['allowed', noPolicy('sagemaker:DeleteEndpoint')]);
});

test('iam:PassedToService: CreateModel passes the SageMaker role, only to SageMaker', async () => {
  const passRole = (ExecutionRoleArn: string) => sagemaker('CreateModel', { ModelName: 'm-1', ExecutionRoleArn, Tags: [PIPELINE_TAG] }).find((c) => c.action === 'iam:PassRole')!;
  const toSageMaker = passRole(names.sagemakerRoleArn);
  expect(toSageMaker.context).toMatchObject({ 'iam:PassedToService': 'sagemaker.amazonaws.com' });
  const toLambda = { ...toSageMaker, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } };
  const otherRole = passRole(roleArn('admin'));
  expect(await decide('create-model', [toSageMaker, toLambda, otherRole])).toEqual(['allowed', noPolicy('iam:PassRole'), noPolicy('iam:PassRole')]);
});

test("object prefixes: CheckOutput reads async outputs, never writes the audit prefix; a missing key also needs s3:ListBucket", async () => {
  const s3 = (operation: string, key: string, objectExists = true) =>
    s3Authorization(operation, { bucket: 'aep-artifacts', key, query: new URLSearchParams(), headers: {}, objectExists }, ctx, lookups);
  const [read] = s3('getObject', 'async-outputs/e/1.out');
  const [write] = s3('putObject', 'audit/e/x.json');
  expect(await decide('check-output', [read, write])).toEqual(['allowed', noPolicy('s3:PutObject')]);
  expect(s3('getObject', 'async-outputs/e/missing.out', false).map((c) => c.action)).toEqual(['s3:GetObject', 's3:ListBucket']);
  expect(await decide('describe-endpoint', s3('getObject', 'async-outputs/e/missing.out', false))).toEqual([noPolicy('s3:GetObject'), noPolicy('s3:ListBucket')]);
});

test('aws:SecureTransport: the buckets deny plain HTTP in their policy; the embedded AWS stands for HTTPS', async () => {
  const [read] = s3Authorization('getObject', { bucket: 'aep-artifacts', key: 'async-outputs/x', query: new URLSearchParams(), headers: {}, objectExists: true }, ctx, lookups);
  const plainHttp = { ...read, context: { 'aws:SecureTransport': 'false' } };
  expect(await decide('check-output', [read, plainHttp])).toEqual(['allowed', 'with an explicit deny in a resource-based policy']);
});

test('KMS on SNS: publishing to the encrypted deployment-events topic needs the topic key, which Finalize has', async () => {
  const checks = snsAuthorization('Publish', { TopicArn: names.deploymentEventsTopicArn }, ctx, lookups);
  expect(checks.map((c) => c.action)).toEqual(['sns:Publish', 'kms:GenerateDataKey', 'kms:Decrypt']);
  expect(await decide('finalize', checks)).toEqual(['allowed', 'allowed', 'allowed']);
  expect(await decide('check-output', checks)).toEqual([noPolicy('SNS:Publish'), noPolicy('kms:GenerateDataKey'), noPolicy('kms:Decrypt')]);
});

test('s3:prefix: a listing carries its prefix, so a policy scoped by s3:prefix is enforced', async () => {
  const scoped = stackIam(
    {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Description: 'aep lister: test', Role: { 'Fn::GetAtt': ['R', 'Arn'] } } },
        R: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] } } },
        P: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            Roles: [{ Ref: 'R' }],
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::aep-artifacts', Condition: { StringLike: { 's3:prefix': 'locks/*' } } }] },
          },
        },
      },
    },
    names,
    {},
  );
  const local = new IamEnforcement({ stack: scoped, sessions, lookups, log: () => undefined });
  const role = scoped.roles.get(stepRoleName('lister'))!;
  const session = sessions.issue(role.arn, 'aep-lister');
  const list = (prefix: string) =>
    s3Authorization('listObjectsV2', { bucket: 'aep-artifacts', key: '', query: new URLSearchParams({ 'list-type': '2', prefix }), headers: {}, objectExists: false }, ctx, lookups)[0];
  expect(list('locks/e')).toMatchObject({ context: { 's3:prefix': 'locks/e' } });
  expect(await local.evaluate(session, role, list('locks/e'), ctx)).toBeUndefined();
  expect((await local.evaluate(session, role, list('audit/'), ctx))?.reason).toBe(noPolicy('s3:ListBucket'));
});

test('states:SendTaskSuccess is not evaluated: the reference says wildcard-only, AWS scopes it to the state machine', () => {
  expect(stepFunctionsAuthorization('SendTaskSuccess', { taskToken: 'AQ…', output: '{}' }, ctx, lookups)).toEqual([]);
  expect(stepFunctionsAuthorization('DescribeExecution', { executionArn: 'arn:x' }, ctx, lookups)).toEqual([{ action: 'states:DescribeExecution', resource: 'arn:x' }]);
});

test('application-autoscaling:service-namespace / scalable-dimension: Finalize registers SageMaker variants\' instance counts only', async () => {
  const register = (ServiceNamespace: string, ScalableDimension: string, ResourceId: string) =>
    applicationAutoScalingAuthorization('RegisterScalableTarget', { ServiceNamespace, ScalableDimension, ResourceId, MinCapacity: 0, MaxCapacity: 2 }, ctx, lookups)[0];
  const variant = register('sagemaker', 'sagemaker:variant:DesiredInstanceCount', 'endpoint/e/variant/AllTraffic');
  expect(variant).toEqual({
    action: 'application-autoscaling:RegisterScalableTarget',
    resource: '*',
    context: { 'application-autoscaling:service-namespace': 'sagemaker', 'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount' },
  });
  const ecs = register('ecs', 'ecs:service:DesiredCount', 'service/default/web');
  const inferenceComponent = register('sagemaker', 'sagemaker:inference-component:DesiredCopyCount', 'inference-component/ic');
  expect(await decide('finalize', [variant, ecs, inferenceComponent])).toEqual([
    'allowed',
    noPolicy('application-autoscaling:RegisterScalableTarget'),
    noPolicy('application-autoscaling:RegisterScalableTarget'),
  ]);
  // DeployEndpoint (suspending scale-in of an endpoint at zero) has the same narrow grant; a step without it has none.
  expect(await decide('deploy-endpoint', [variant, ecs])).toEqual(['allowed', noPolicy('application-autoscaling:RegisterScalableTarget')]);
  expect(await decide('create-model', [variant])).toEqual([noPolicy('application-autoscaling:RegisterScalableTarget')]);
});

test('a registered scalable target is authorized on its ARN; Describe* on *', () => {
  const target = { ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/e/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' };
  scalableTargets.set(`${target.ServiceNamespace}/${target.ResourceId}/${target.ScalableDimension}`, 'arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/0123abcd');
  expect(applicationAutoScalingAuthorization('PutScalingPolicy', { ...target, PolicyName: 'p' }, ctx, lookups)[0].resource).toBe(
    'arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/0123abcd',
  );
  expect(applicationAutoScalingAuthorization('DescribeScalableTargets', { ServiceNamespace: 'sagemaker' }, ctx, lookups)).toEqual([
    { action: 'application-autoscaling:DescribeScalableTargets', resource: '*' },
  ]);
});

test("cloudwatch alarm ARNs: PromoteEndpoint puts <endpoint>-aep-* alarms, Finalize <endpoint>-scale-out-from-zero, nothing else", async () => {
  const put = (AlarmName: string, AlarmActions?: string[]) => cloudWatchAuthorization('PutMetricAlarm', { AlarmName, AlarmActions }, ctx, lookups)[0];
  const release = put('e-aep-invocation-failures');
  expect(release.resource).toBe('arn:aws:cloudwatch:us-east-1:000000000000:alarm:e-aep-invocation-failures');
  const fromZero = put('e-scale-out-from-zero', ['arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:x']);
  expect(fromZero.context).toEqual({ 'cloudwatch:AlarmActions': ['arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:x'] });
  const other = put('billing');
  expect(await decide('promote-endpoint', [release, fromZero, other])).toEqual(['allowed', noPolicy('cloudwatch:PutMetricAlarm'), noPolicy('cloudwatch:PutMetricAlarm')]);
  expect(await decide('finalize', [release, fromZero, other])).toEqual([noPolicy('cloudwatch:PutMetricAlarm'), 'allowed', noPolicy('cloudwatch:PutMetricAlarm')]);
  expect(cloudWatchAuthorization('DeleteAlarms', { AlarmNames: ['a', 'b'] }, ctx, lookups).map((c) => c.resource)).toEqual([
    'arn:aws:cloudwatch:us-east-1:000000000000:alarm:a',
    'arn:aws:cloudwatch:us-east-1:000000000000:alarm:b',
  ]);
  expect(cloudWatchAuthorization('PutMetricData', { Namespace: 'AWS/SageMaker' }, ctx, lookups)).toEqual([
    { action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'AWS/SageMaker' } },
  ]);
});

test('EventBridge: rules by ARN with the pattern\'s source and detail-type; PutEvents per entry on the bus', async () => {
  const [putRule] = eventBridgeAuthorization('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: ['aws.sagemaker'], 'detail-type': ['SageMaker Endpoint State Change'] }) }, ctx, lookups);
  expect(putRule).toEqual({
    action: 'events:PutRule',
    resource: 'arn:aws:events:us-east-1:000000000000:rule/r',
    context: { 'events:source': ['aws.sagemaker'], 'events:detail-type': ['SageMaker Endpoint State Change'] },
  });
  const putEvents = eventBridgeAuthorization('PutEvents', { Entries: [{ Source: 'a', DetailType: 'x' }, { Source: 'b', DetailType: 'y', EventBusName: 'default' }] }, ctx, lookups);
  expect(putEvents.map((c) => [c.resource, c.context])).toEqual([
    ['arn:aws:events:us-east-1:000000000000:event-bus/default', { 'events:source': 'a', 'events:detail-type': 'x' }],
    ['arn:aws:events:us-east-1:000000000000:event-bus/default', { 'events:source': 'b', 'events:detail-type': 'y' }],
  ]);
  // No step role may change rules: the stack wires them, the pipeline never calls EventBridge.
  expect(await decide('await-event', [putRule])).toEqual([noPolicy('events:PutRule')]);
});
