import {
  AddTagsCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { PREVIOUS_CONFIG_TAG } from '../../functions/deploy-endpoint/deploy-endpoint';
import { TAGS } from '../../functions/lib/names';
import type { PipelineState } from '../../functions/lib/pipeline-state';
import { handler } from '../../functions/promote-endpoint/handler';
import { awsError, EXECUTION, OTHER_EXECUTION_ARN, pipelineState, resolvedConfig, setTestEnvironment } from './fixtures';

const sm = mockClient(SageMakerClient);
const cw = mockClient(CloudWatchClient);
const base = pipelineState();
const previous = 'recommender-0123456789';
const ours = base.names.endpointConfig;
const candidateArn = `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${base.names.candidate}`;
const configArn = `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${ours}`;
const gate = { cases: [], anyFailed: false };

function promotable(overrides: Partial<PipelineState> = {}): PipelineState {
  return pipelineState({
    endpointConfig: { name: ours, arn: configArn, createdNow: true },
    deployment: { action: 'update', strategy: 'candidate', candidateEndpointName: base.names.candidate, previousConfigName: previous, startedAt: '2025-01-01T00:00:00.000Z' },
    smoke: gate,
    ...overrides,
  });
}

beforeEach(() => {
  setTestEnvironment();
  sm.reset();
  cw.reset();
  sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({ EndpointName: 'recommender', EndpointStatus: 'InService', EndpointConfigName: previous });
  sm.on(DescribeEndpointCommand, { EndpointName: base.names.candidate }).resolves({ EndpointArn: candidateArn, EndpointStatus: 'InService' });
  sm.on(ListTagsCommand, { ResourceArn: candidateArn }).resolves({ Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
});

it('updates production to the tested config with the guardrails and capacity kept, then deletes the candidate', async () => {
  const result = await handler(promotable());
  expect(sm).toHaveReceivedCommandWith(UpdateEndpointCommand, {
    EndpointName: 'recommender',
    EndpointConfigName: ours,
    RetainAllVariantProperties: true,
    DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 }, TerminationWaitInSeconds: 0 } },
  });
  expect(sm).toHaveReceivedCommandWith(AddTagsCommand, { ResourceArn: configArn, Tags: [{ Key: PREVIOUS_CONFIG_TAG, Value: previous }] });
  expect(sm).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: base.names.candidate });
  expect(result).toEqual({
    endpointName: 'recommender',
    fromConfigName: previous,
    toConfigName: ours,
    deploymentConfig: expect.objectContaining({ BlueGreenUpdatePolicy: expect.any(Object) }),
    alarms: [],
    candidateDeleted: true,
    gate,
    startedAt: expect.any(String),
  });
});

it('canary with alarms: CanarySize, the wait interval and AutoRollbackConfiguration; createAlarms puts the pipeline alarms first', async () => {
  const release = {
    ...resolvedConfig().release,
    routing: { type: 'CANARY' as const, size: { type: 'INSTANCE_COUNT' as const, value: 1 }, waitIntervalSeconds: 120, terminationWaitSeconds: 60, maximumExecutionTimeoutSeconds: 1800 },
    alarms: ['team-errors'],
    createAlarms: true,
  };
  const result = await handler(promotable({ config: resolvedConfig({ release }) }));
  const alarms = ['team-errors', 'recommender-aep-invocation-failures', 'recommender-aep-oldest-request-age'];
  expect(result.alarms).toEqual(alarms);
  expect(cw.commandCalls(PutMetricAlarmCommand).map((c) => [c.args[0].input.AlarmName, c.args[0].input.MetricName])).toEqual([
    ['recommender-aep-invocation-failures', 'InvocationFailures'],
    ['recommender-aep-oldest-request-age', 'ApproximateAgeOfOldestRequest'],
  ]);
  expect(sm).toHaveReceivedCommandWith(UpdateEndpointCommand, {
    DeploymentConfig: {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 120, CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 } },
        TerminationWaitInSeconds: 60,
        MaximumExecutionTimeoutInSeconds: 1800,
      },
      AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) },
    },
  });
});

it('rolling: RollingUpdatePolicy with the batch size', async () => {
  const release = { ...resolvedConfig().release, routing: { type: 'ROLLING' as const, size: { type: 'CAPACITY_PERCENT' as const, value: 50 }, waitIntervalSeconds: 30 } };
  await handler(promotable({ config: resolvedConfig({ release }) }));
  expect(sm).toHaveReceivedCommandWith(UpdateEndpointCommand, {
    DeploymentConfig: { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 30 } },
  });
});

it('a retry finds production already moving to our config: no second update, the candidate still deleted', async () => {
  sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({
    EndpointStatus: 'Updating',
    EndpointConfigName: previous,
    PendingDeploymentSummary: { EndpointConfigName: ours },
  });
  await expect(handler(promotable())).resolves.toMatchObject({ candidateDeleted: true });
  expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
  expect(sm).toHaveReceivedCommand(DeleteEndpointCommand);
});

it('production changed by someone while the candidate was tested: EndpointUpdateFailed, not promoted', async () => {
  sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({ EndpointStatus: 'InService', EndpointConfigName: 'someone-elses' });
  await expect(handler(promotable())).rejects.toMatchObject({ name: 'EndpointUpdateFailed', message: expect.stringContaining('moved from config') });
  expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
});

it('production busy with a change this run did not make: DeploymentInProgress', async () => {
  sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({ EndpointStatus: 'Updating', EndpointConfigName: previous });
  await expect(handler(promotable())).rejects.toMatchObject({ name: 'DeploymentInProgress' });
});

it('production deleted meanwhile: EndpointUpdateFailed', async () => {
  sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).rejects(awsError('ValidationException', 'Could not find endpoint "x".'));
  await expect(handler(promotable())).rejects.toMatchObject({ name: 'EndpointUpdateFailed', message: expect.stringContaining('no longer exists') });
});

it('an UpdateEndpoint refusal is EndpointUpdateFailed with SageMaker’s words', async () => {
  sm.on(UpdateEndpointCommand).rejects(awsError('ValidationException', 'Alarm team-errors does not exist.'));
  await expect(handler(promotable())).rejects.toMatchObject({ name: 'EndpointUpdateFailed', message: expect.stringContaining('Alarm team-errors does not exist.') });
});

it('a candidate not created by this execution is never deleted; a refused delete is reported, not thrown', async () => {
  sm.on(ListTagsCommand, { ResourceArn: candidateArn }).resolves({ Tags: [{ Key: TAGS.execution, Value: OTHER_EXECUTION_ARN }] });
  await expect(handler(promotable())).resolves.toMatchObject({ candidateDeleted: false });
  expect(sm).not.toHaveReceivedCommand(DeleteEndpointCommand);

  sm.on(ListTagsCommand, { ResourceArn: candidateArn }).resolves({ Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
  sm.on(DeleteEndpointCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
  await expect(handler(promotable())).resolves.toMatchObject({ candidateDeleted: false });
});

it('refuses to run without a candidate deployment (a workflow bug)', async () => {
  await expect(handler(promotable({ deployment: { action: 'create', strategy: 'new', startedAt: 'x' } }))).rejects.toThrow(/without a candidate/);
});
