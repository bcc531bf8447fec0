import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestAws, type TestAws } from '../helpers/embedded';
import { ECHO_FIXTURES, eventually, uploadEchoFixtures } from '../helpers/scenario';

const run = promisify(execFile);
const ENDPOINT = 'aas-cli';
const RESOURCE = `endpoint/${ENDPOINT}/variant/AllTraffic`;
const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
let t: TestAws;

beforeAll(async () => {
  t = await startTestAws({ waitScale: 0.01 });
  await uploadEchoFixtures(t);
  const sm = t.clients.sagemaker;
  await sm.send(new CreateModelCommand({ ModelName: 'aas-model', PrimaryContainer: { Image: 'local/echo:latest', ModelDataUrl: ECHO_FIXTURES.artifact }, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/x' }));
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'aas-config',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'aas-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://aep-artifacts/aas-out/' } },
    }),
  );
  await sm.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'aas-config' }));
  await eventually(async () => expect((await sm.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointStatus).toBe('InService'), 60_000);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

const cli = (...args: string[]) => run('aws', [...args, '--output', 'json'], { env: t.cliEnv });
const cliError = (...args: string[]) => cli(...args).then(() => 'no error', (e: { stderr: string }) => e.stderr.trim());
const variant = async () => (await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).ProductionVariants![0];

test('the AWS CLI registers and describes a scalable target; bad input gets AWS errors and changes nothing', async () => {
  const target = ['--service-namespace', 'sagemaker', '--resource-id', RESOURCE, '--scalable-dimension', DIMENSION];
  await cli('application-autoscaling', 'register-scalable-target', ...target, '--min-capacity', '1', '--max-capacity', '2');
  const described = JSON.parse((await cli('application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'sagemaker')).stdout);
  expect(described.ScalableTargets).toEqual([expect.objectContaining({ ResourceId: RESOURCE, ScalableDimension: DIMENSION, MinCapacity: 1, MaxCapacity: 2 })]);
  expect(described.ScalableTargets[0].RoleARN).toMatch(/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint$/);

  expect(await cliError('application-autoscaling', 'register-scalable-target', ...target, '--min-capacity', '3', '--max-capacity', '2')).toContain(
    'An error occurred (ValidationException) when calling the RegisterScalableTarget operation: Minimum capacity (3) cannot be greater than maximum capacity (2).',
  );
  const unchanged = JSON.parse((await cli('application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'sagemaker')).stdout);
  expect(unchanged.ScalableTargets[0]).toMatchObject({ MinCapacity: 1, MaxCapacity: 2 });

  const missing = ['--service-namespace', 'sagemaker', '--resource-id', 'endpoint/nope/variant/AllTraffic', '--scalable-dimension', DIMENSION];
  expect(await cliError('application-autoscaling', 'put-scaling-policy', '--policy-name', 'p', ...missing, '--policy-type', 'StepScaling',
    '--step-scaling-policy-configuration', 'AdjustmentType=ChangeInCapacity,StepAdjustments=[{MetricIntervalLowerBound=0,ScalingAdjustment=1}]')).toContain(
    'An error occurred (ObjectNotFoundException) when calling the PutScalingPolicy operation: No scalable target registered for service namespace: sagemaker, resource ID: endpoint/nope/variant/AllTraffic, scalable dimension: sagemaker:variant:DesiredInstanceCount',
  );
  expect(await cliError('application-autoscaling', 'deregister-scalable-target', ...missing)).toContain('(ObjectNotFoundException)');
  expect(await cliError('application-autoscaling', 'register-scalable-target', ...missing, '--min-capacity', '0', '--max-capacity', '1')).toContain('(ValidationException)');
  expect(await cliError('application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'sagemaker', '--max-results', '51')).toContain(
    "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50",
  );
}, 300_000);

test('boto3: a step policy and its alarm; UpdateEndpointWeightsAndCapacities starts and stops real processes, down to 0', async () => {
  const script = `
import boto3, json, sys
aas = boto3.client('application-autoscaling')
cw = boto3.client('cloudwatch')
sm = boto3.client('sagemaker')
t = dict(ServiceNamespace='sagemaker', ResourceId=sys.argv[1], ScalableDimension='sagemaker:variant:DesiredInstanceCount')
aas.register_scalable_target(MinCapacity=0, MaxCapacity=2, **t)
arn = aas.put_scaling_policy(PolicyName='out', PolicyType='StepScaling', StepScalingPolicyConfiguration={
  'AdjustmentType': 'ChangeInCapacity', 'Cooldown': 60, 'StepAdjustments': [{'MetricIntervalLowerBound': 0, 'ScalingAdjustment': 1}]}, **t)['PolicyARN']
cw.put_metric_alarm(AlarmName='aas-out', Namespace='AWS/SageMaker', MetricName='HasBacklogWithoutCapacity', Dimensions=[{'Name': 'EndpointName', 'Value': sys.argv[2]}],
  Statistic='Average', Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator='GreaterThanOrEqualToThreshold', AlarmActions=[arn])
policies = aas.describe_scaling_policies(ServiceNamespace='sagemaker', ResourceId=sys.argv[1])['ScalingPolicies']
tracking = aas.put_scaling_policy(PolicyName='track', PolicyType='TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration={
  'TargetValue': 5, 'CustomizedMetricSpecification': {'MetricName': 'ApproximateBacklogSizePerInstance', 'Namespace': 'AWS/SageMaker',
  'Dimensions': [{'Name': 'EndpointName', 'Value': sys.argv[2]}], 'Statistic': 'Average'}}, **t)
aas.delete_scaling_policy(PolicyName='track', **t)
left = [a['AlarmName'] for a in cw.describe_alarms(AlarmNamePrefix='TargetTracking-')['MetricAlarms']]
sm.update_endpoint_weights_and_capacities(EndpointName=sys.argv[2], DesiredWeightsAndCapacities=[{'VariantName': 'AllTraffic', 'DesiredInstanceCount': 2}])
try:
  sm.update_endpoint_weights_and_capacities(EndpointName=sys.argv[2], DesiredWeightsAndCapacities=[{'VariantName': 'Nope', 'DesiredInstanceCount': 1}])
  err = None
except Exception as e:
  err = e.response['Error']['Code']
print(json.dumps({'policy': arn, 'types': [p['PolicyType'] for p in policies], 'alarms': [a['AlarmName'] for a in tracking['Alarms']], 'left': left, 'err': err}))
`;
  const { stdout } = await run('python3', ['-c', script, RESOURCE, ENDPOINT], { env: t.cliEnv });
  const out = JSON.parse(stdout);
  expect(out.policy).toMatch(/^arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:[0-9a-f-]+:resource\/sagemaker\/endpoint\/aas-cli\/variant\/AllTraffic:policyName\/out$/);
  expect(out.types).toEqual(['StepScaling']);
  expect(out.alarms).toEqual([expect.stringMatching(/^TargetTracking-endpoint\/aas-cli\/variant\/AllTraffic-AlarmHigh-/), expect.stringMatching(/-AlarmLow-/)]);
  expect(out.left).toEqual([]);
  // The second update came while the first was in progress (Updating) or named a missing variant: refused either way.
  expect(out.err).toBe('ValidationException');
  await eventually(async () => expect(await variant()).toMatchObject({ CurrentInstanceCount: 2, DesiredInstanceCount: 2 }), 60_000, 100);
  await eventually(async () => expect((await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointStatus).toBe('InService'), 60_000, 100);
  await cli('sagemaker', 'update-endpoint-weights-and-capacities', '--endpoint-name', ENDPOINT, '--desired-weights-and-capacities', 'VariantName=AllTraffic,DesiredInstanceCount=0');
  await eventually(async () => expect(await variant()).toMatchObject({ CurrentInstanceCount: 0, DesiredInstanceCount: 0 }), 60_000, 100);
}, 300_000);

test('a full disk under RegisterScalableTarget, DeleteScalingPolicy and DeregisterScalableTarget changes nothing; the same call succeeds afterwards', async () => {
  const target = ['--service-namespace', 'sagemaker', '--resource-id', RESOURCE, '--scalable-dimension', DIMENSION];
  // one attempt: the CLI would retry the 500 itself and hide it
  const once = (...args: string[]) => run('aws', [...args, '--output', 'json'], { env: { ...t.cliEnv, AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard' } });
  const refusedOnce = (...args: string[]) => once(...args).then(() => 'no error', (e: { stderr: string }) => e.stderr.trim());
  const diskFull = () =>
    t.aws.faults.add({ service: 'disk', operation: 'write', resource: join(t.dataDir, 'application-autoscaling'), count: 1, error: { code: 'ENOSPC', message: 'no space left on device' } });
  const targets = async () => JSON.parse((await cli('application-autoscaling', 'describe-scalable-targets', '--service-namespace', 'sagemaker')).stdout).ScalableTargets;
  const policies = async () => JSON.parse((await cli('application-autoscaling', 'describe-scaling-policies', '--service-namespace', 'sagemaker')).stdout).ScalingPolicies;
  const enospc = /InternalFailure.*ENOSPC: no space left on device/;

  // A fresh target without the earlier tests' policies: their alarms would scale (and write) in the background.
  await cliError('application-autoscaling', 'deregister-scalable-target', ...target);
  await cli('application-autoscaling', 'register-scalable-target', ...target, '--min-capacity', '1', '--max-capacity', '2');
  await t.aws.services.applicationAutoScaling.settled(); // a scale-out into the bounds writes when it ends
  diskFull();
  expect(await refusedOnce('application-autoscaling', 'register-scalable-target', ...target, '--min-capacity', '1', '--max-capacity', '3')).toMatch(enospc);
  expect(await targets()).toEqual([expect.objectContaining({ MinCapacity: 1, MaxCapacity: 2 })]);
  await once('application-autoscaling', 'register-scalable-target', ...target, '--min-capacity', '1', '--max-capacity', '3');
  expect(await targets()).toEqual([expect.objectContaining({ MinCapacity: 1, MaxCapacity: 3 })]);

  await cli('application-autoscaling', 'put-scaling-policy', '--policy-name', 'disk', ...target, '--policy-type', 'StepScaling',
    '--step-scaling-policy-configuration', 'AdjustmentType=ChangeInCapacity,StepAdjustments=[{MetricIntervalLowerBound=0,ScalingAdjustment=1}]');
  diskFull();
  expect(await refusedOnce('application-autoscaling', 'delete-scaling-policy', '--policy-name', 'disk', ...target)).toMatch(enospc);
  expect((await policies()).map((p: { PolicyName: string }) => p.PolicyName)).toContain('disk');
  await once('application-autoscaling', 'delete-scaling-policy', '--policy-name', 'disk', ...target);
  expect((await policies()).map((p: { PolicyName: string }) => p.PolicyName)).not.toContain('disk');

  diskFull();
  expect(await refusedOnce('application-autoscaling', 'deregister-scalable-target', ...target)).toMatch(enospc);
  expect(await targets()).toHaveLength(1);
  await once('application-autoscaling', 'deregister-scalable-target', ...target);
  expect(await targets()).toEqual([]);
}, 300_000);
