import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestAws, type TestAws } from '../helpers/embedded';

/**
 * CloudWatch, Application Auto Scaling, EventBridge and S3 DeleteObjects evaluated like every other call: a session of
 * a step's role (assumed with boto3) may do what the synthesized stack grants that step, and is refused the rest in
 * the service's own shape with AWS's message naming the principal, the action and the resource.
 */

const run = promisify(execFile);
// boto3 starts slowly on a busy shared machine.
jest.setTimeout(240_000);
let t: TestAws;

beforeAll(async () => {
  t = await startTestAws();
}, 120_000);
afterAll(() => t?.stop());

const SCRIPT = `
import boto3, json, sys
from botocore.exceptions import ClientError
def session(step):
    creds = boto3.client('sts').assume_role(RoleArn=f'arn:aws:iam::000000000000:role/aep-{step}-role', RoleSessionName=f'aep-{step}')['Credentials']
    return boto3.Session(aws_access_key_id=creds['AccessKeyId'], aws_secret_access_key=creds['SecretAccessKey'], aws_session_token=creds['SessionToken'])
def outcome(call):
    try:
        call()
        return 'allowed'
    except ClientError as e:
        return {'code': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'message': e.response['Error']['Message']}
alarm = dict(Namespace='AWS/SageMaker', MetricName='InvocationFailures', Statistic='Sum', Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator='GreaterThanOrEqualToThreshold')
promote = session('promote-endpoint').client('cloudwatch')
finalize = session('finalize')
scaling = finalize.client('application-autoscaling')
target = dict(ResourceId='endpoint/nope/variant/AllTraffic', MinCapacity=0, MaxCapacity=1)
owner_s3 = boto3.client('s3')
for key in ['waits/a.json', 'audit/e/x.json']:
    owner_s3.put_object(Bucket='aep-artifacts', Key=key, Body=b'{}')
deleted = session('await-event').client('s3').delete_objects(Bucket='aep-artifacts', Delete={'Objects': [{'Key': 'waits/a.json'}, {'Key': 'audit/e/x.json'}]})
out = {
    'pipeline_alarm': outcome(lambda: promote.put_metric_alarm(AlarmName='recsys-aep-invocation-failures', **alarm)),
    'other_alarm': outcome(lambda: promote.put_metric_alarm(AlarmName='billing', **alarm)),
    'describe_alarms': outcome(lambda: promote.describe_alarms(AlarmNames=['recsys-aep-invocation-failures'])),
    # allowed by IAM, so the embedded service answers (the endpoint does not exist)
    'register_sagemaker': outcome(lambda: scaling.register_scalable_target(ServiceNamespace='sagemaker', ScalableDimension='sagemaker:variant:DesiredInstanceCount', **target)),
    'register_ecs': outcome(lambda: scaling.register_scalable_target(ServiceNamespace='ecs', ScalableDimension='ecs:service:DesiredCount', ResourceId='service/default/web', MinCapacity=0, MaxCapacity=1)),
    'describe_targets': outcome(lambda: scaling.describe_scalable_targets(ServiceNamespace='sagemaker')),
    'put_rule': outcome(lambda: finalize.client('events').put_rule(Name='aep-anything', EventPattern=json.dumps({'source': ['aws.s3']}))),
    'delete_objects': {'deleted': [d['Key'] for d in deleted.get('Deleted', [])], 'errors': deleted.get('Errors', [])},
    'left': sorted(o['Key'] for o in owner_s3.list_objects_v2(Bucket='aep-artifacts').get('Contents', []) if o['Key'] in ('waits/a.json', 'audit/e/x.json')),
}
print(json.dumps(out))
`;

test('boto3 as step roles: CloudWatch, Application Auto Scaling, EventBridge and DeleteObjects are evaluated against the stack', async () => {
  const { stdout } = await run('python3', ['-c', SCRIPT], { env: t.cliEnv });
  const out = JSON.parse(stdout);
  const principal = (step: string) => `arn:aws:sts::000000000000:assumed-role/aep-${step}-role/aep-${step}`;
  const notAuthorized = (step: string, action: string, resource: string) =>
    `User: ${principal(step)} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

  expect(out.pipeline_alarm).toBe('allowed');
  expect(out.other_alarm).toEqual({
    code: 'AccessDenied',
    status: 403,
    message: notAuthorized('promote-endpoint', 'cloudwatch:PutMetricAlarm', 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:billing'),
  });
  expect(out.describe_alarms).toMatchObject({
    code: 'AccessDenied',
    message: notAuthorized('promote-endpoint', 'cloudwatch:DescribeAlarms', 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:recsys-aep-invocation-failures'),
  });

  expect(out.register_sagemaker).toMatchObject({ code: 'ValidationException', message: expect.stringContaining('endpoint nope does not exist') });
  expect(out.register_ecs).toEqual({
    code: 'AccessDeniedException',
    status: 400,
    message: notAuthorized('finalize', 'application-autoscaling:RegisterScalableTarget', '*'),
  });
  expect(out.describe_targets).toMatchObject({
    code: 'AccessDeniedException',
    message: notAuthorized('finalize', 'application-autoscaling:DescribeScalableTargets', '*'),
  });

  expect(out.put_rule).toMatchObject({
    code: 'AccessDeniedException',
    message: notAuthorized('finalize', 'events:PutRule', 'arn:aws:events:us-east-1:000000000000:rule/aep-anything'),
  });

  // AwaitEvent may delete its own waits/ records only: S3 answers the other key in the result, the request succeeds.
  expect(out.delete_objects).toEqual({
    deleted: ['waits/a.json'],
    errors: [{ Key: 'audit/e/x.json', Code: 'AccessDenied', Message: 'Access Denied' }],
  });
  expect(out.left).toEqual(['audit/e/x.json']);
});
