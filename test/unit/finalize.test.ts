import {
  ApplicationAutoScalingClient,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  SageMakerClient,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/finalize/handler';
import type { PipelineState } from '../../functions/lib/pipeline-state';
import { awsError, EXECUTION, pipelineState, resolvedConfig, s3Body, setTestEnvironment } from './fixtures';

const s3Mock = mockClient(S3Client);
const sagemakerMock = mockClient(SageMakerClient);
const scalingMock = mockClient(ApplicationAutoScalingClient);
const sfnMock = mockClient(SFNClient);
const snsMock = mockClient(SNSClient);
const cloudwatchMock = mockClient(CloudWatchClient);

const ENDPOINT_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/recommender';
const minutes = (m: number) => new Date(Date.parse(EXECUTION.startTime) + m * 60_000);
const PREVIOUS = 'recommender-0000000005';

function deployedState(overrides: Partial<PipelineState> = {}): PipelineState {
  const base = pipelineState(overrides);
  return {
    ...base,
    model: { name: base.names.model, arn: 'arn:model', createdNow: true },
    endpointConfig: { name: base.names.endpointConfig, arn: 'arn:config', createdNow: true },
    deployment: { action: 'update', strategy: 'in-place', previousConfigName: PREVIOUS, startedAt: minutes(2).toISOString() },
    smoke: { cases: [], anyFailed: false },
    ...overrides,
  };
}

/** Derived names of this endpoint by age (minutes relative to the execution start), plus one not derived. */
function givenResources(current: string, extraModels: Array<[string, number]> = []) {
  const listed = (rows: Array<[string, number]>) => rows.map(([name, m]) => ({ name, CreationTime: minutes(m) }));
  const configs = listed([
    [current, 1],
    [PREVIOUS, -5],
    ['recommender-0000000004', -10],
    ['recommender-0000000003', -20],
    ['recommender-0000000002', -30],
    ['recommender-manual', -40],
  ]);
  sagemakerMock.on(ListEndpointConfigsCommand).resolves({
    EndpointConfigs: configs.map((c) => ({ EndpointConfigName: c.name, EndpointConfigArn: `arn:${c.name}`, CreationTime: c.CreationTime })),
  });
  const models = [...configs, ...listed(extraModels)];
  sagemakerMock.on(ListModelsCommand).resolves({
    Models: models.map((m) => ({ ModelName: m.name, ModelArn: `arn:${m.name}`, CreationTime: m.CreationTime })),
  });
}

function auditRecord(): Record<string, any> {
  const put = s3Mock.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key?.startsWith('audit/'));
  return JSON.parse(String(put!.args[0].input.Body));
}

beforeEach(() => {
  setTestEnvironment();
  for (const mock of [s3Mock, sagemakerMock, scalingMock, sfnMock, snsMock, cloudwatchMock]) mock.reset();
  sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN, EndpointStatus: 'InService' });
  sagemakerMock.on(DeleteEndpointConfigCommand).resolves({});
  sagemakerMock.on(DeleteModelCommand).resolves({});
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(GetObjectCommand, { Key: 'locks/recommender.json' }).resolves({
    Body: s3Body(JSON.stringify({ holder: EXECUTION.id, acquiredAt: EXECUTION.startTime, endpointName: 'recommender' })),
    ETag: '"lock"',
  });
  s3Mock.on(DeleteObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  scalingMock.on(RegisterScalableTargetCommand).resolves({});
  scalingMock.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:aws:autoscaling:policy/scale-out-from-zero' });
  cloudwatchMock.on(PutMetricAlarmCommand).resolves({});
});

describe('Finalize', () => {
  it('deletes superseded configs and models beyond retainPrevious, keeping the current and previous ones', async () => {
    const state = deployedState();
    givenResources(state.names.endpointConfig, [['recommender-00000000aa', -7]]);
    const result = await handler({ state });

    // superseded, newest first: 5 (previous), 4, 3, 2 → retainPrevious 2 keeps 5 and 4
    const deletedConfigs = sagemakerMock.commandCalls(DeleteEndpointConfigCommand).map((c) => c.args[0].input.EndpointConfigName);
    expect(deletedConfigs.sort()).toEqual(['recommender-0000000002', 'recommender-0000000003']);
    // models: the orphan (-7) is among the newest 2 superseded; the kept configs' models are kept too
    const deletedModels = sagemakerMock.commandCalls(DeleteModelCommand).map((c) => c.args[0].input.ModelName);
    expect(deletedModels.sort()).toEqual(['recommender-0000000002', 'recommender-0000000003']);
    expect(sagemakerMock).toHaveReceivedCommandWith(ListEndpointConfigsCommand, { NameContains: 'recommender' });

    expect(result).toEqual({
      endpointName: 'recommender',
      endpointArn: ENDPOINT_ARN,
      endpointConfigName: state.names.endpointConfig,
      modelName: state.names.model,
      action: 'update',
      strategy: 'in-place',
      previousConfigName: PREVIOUS,
      exposure: { productionServedBeforeVerdict: true, reason: expect.stringMatching(/^in-place/) },
      verdict: 'passed',
      cases: [],
      auditUri: 's3://aep-artifacts/audit/recommender/run-1.json',
      deletedResources: expect.arrayContaining(['endpoint config recommender-0000000002', 'model recommender-0000000003']),
    });
    expect(result.deletedResources).toHaveLength(4);
  });

  it('writes the audit record, publishes DeploymentSucceeded and releases the lock', async () => {
    const state = deployedState();
    givenResources(state.names.endpointConfig);
    const input = { modelDataUrl: 's3://aep-models/models/recommender/v2/model.tar.gz' };
    await handler({ state, input });
    expect(auditRecord()).toMatchObject({ verdict: 'passed', endpointName: 'recommender', previousConfigName: PREVIOUS, input });
    // The record comes from the state and the input the ASL passes: no DescribeExecution, no history pages.
    expect(sfnMock.calls()).toHaveLength(0);
    const publish = snsMock.commandCalls(PublishCommand)[0].args[0].input;
    expect(publish.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:aep-deployment-events');
    expect(JSON.parse(String(publish.Message))).toEqual({
      type: 'DeploymentSucceeded',
      endpointName: 'recommender',
      execution: { arn: EXECUTION.id, name: 'run-1' },
      model: state.names.model,
      config: state.names.endpointConfig,
      verdict: 'passed',
      auditUri: 's3://aep-artifacts/audit/recommender/run-1.json',
      release: { strategy: 'in-place', alarmsWatched: [], exposure: { productionServedBeforeVerdict: true, reason: expect.any(String) } },
    });
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectCommand, { Key: 'locks/recommender.json', IfMatch: '"lock"' });
  });

  it('records a deployment without smoke cases as not gated: a warning in the audit record, none when cases ran', async () => {
    const state = deployedState({ smoke: { cases: [], anyFailed: false, noCases: true } });
    givenResources(state.names.endpointConfig);
    await handler({ state });
    expect(auditRecord()).toMatchObject({ verdict: 'passed', smoke: { cases: [], noCases: true } });
    expect(auditRecord().finalize.warnings).toEqual([expect.stringMatching(/^no smoke cases: .*without a gate/)]);

    s3Mock.resetHistory();
    await handler({ state: deployedState({ smoke: { cases: [], anyFailed: false } }) });
    expect(auditRecord().finalize.warnings).toBeUndefined();
  });

  it('never deletes what a later run created, nor names it did not derive', async () => {
    const state = deployedState({ config: resolvedConfig({ retainPrevious: 0 }) });
    givenResources(state.names.endpointConfig, [['recommender-00000000bb', 30]]);
    await handler({ state });
    const deleted = sagemakerMock.commandCalls(DeleteModelCommand).map((c) => c.args[0].input.ModelName);
    expect(deleted).not.toContain('recommender-00000000bb');
    expect(deleted).not.toContain('recommender-manual');
    expect(deleted).not.toContain(PREVIOUS);
    expect(deleted).not.toContain(state.names.model);
    expect(deleted.sort()).toEqual(['recommender-0000000002', 'recommender-0000000003', 'recommender-0000000004']);
  });

  it('is safe to re-run: already deleted resources and an already released lock are not errors', async () => {
    const state = deployedState();
    givenResources(state.names.endpointConfig);
    sagemakerMock.on(DeleteEndpointConfigCommand).rejects(awsError('ValidationException', 'Could not find endpoint configuration "x".'));
    sagemakerMock.on(DeleteModelCommand).rejects(awsError('ValidationException', 'Could not find model "x".'));
    s3Mock.on(GetObjectCommand, { Key: 'locks/recommender.json' }).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
    const result = await handler({ state });
    expect(result.deletedResources).toEqual([]);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectCommand);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('reports a refused deletion as a warning in the audit record without failing the deployment', async () => {
    const state = deployedState();
    givenResources(state.names.endpointConfig);
    sagemakerMock.on(DeleteModelCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform sagemaker:DeleteModel'));
    const result = await handler({ state });
    expect(result.verdict).toBe('passed');
    expect(auditRecord().finalize.warnings).toContain(
      'could not delete model recommender-0000000002: AccessDeniedException: not authorized to perform sagemaker:DeleteModel',
    );
  });

  it('registers scale-to-zero autoscaling: scalable target, backlog target tracking and a step policy out of zero', async () => {
    const state = deployedState({ config: resolvedConfig({ autoscaling: { minCapacity: 0, maxCapacity: 3, targetBacklogPerInstance: 5, scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60 } }) });
    givenResources(state.names.endpointConfig);
    const result = await handler({ state });
    const target = { ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/recommender/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;
    expect(scalingMock).toHaveReceivedCommandWith(RegisterScalableTargetCommand, { ...target, MinCapacity: 0, MaxCapacity: 3 });
    expect(scalingMock).toHaveReceivedCommandWith(PutScalingPolicyCommand, {
      ...target,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: expect.objectContaining({
        TargetValue: 5,
        CustomizedMetricSpecification: {
          MetricName: 'ApproximateBacklogSizePerInstance',
          Namespace: 'AWS/SageMaker',
          Dimensions: [{ Name: 'EndpointName', Value: 'recommender' }],
          Statistic: 'Average',
        },
      }),
    });
    expect(scalingMock).toHaveReceivedCommandWith(PutScalingPolicyCommand, { ...target, PolicyType: 'StepScaling' });
    expect(result.autoscaling).toEqual({ resourceId: 'endpoint/recommender/variant/AllTraffic', minCapacity: 0, maxCapacity: 3 });
    expect(cloudwatchMock).toHaveReceivedCommandWith(PutMetricAlarmCommand, {
      AlarmName: 'recommender-scale-out-from-zero',
      Namespace: 'AWS/SageMaker',
      MetricName: 'HasBacklogWithoutCapacity',
      Dimensions: [{ Name: 'EndpointName', Value: 'recommender' }],
      AlarmActions: ['arn:aws:autoscaling:policy/scale-out-from-zero'],
    });
    expect(auditRecord().finalize.autoscaling.alarmName).toBe('recommender-scale-out-from-zero');
  });

  it('registers no step policy when minCapacity is above zero, and none at all without autoscaling', async () => {
    const state = deployedState({ config: resolvedConfig({ autoscaling: { minCapacity: 1, maxCapacity: 2, targetBacklogPerInstance: 5, scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60 } }) });
    givenResources(state.names.endpointConfig);
    await handler({ state });
    expect(scalingMock).toHaveReceivedCommandTimes(PutScalingPolicyCommand, 1);
    expect(cloudwatchMock).not.toHaveReceivedCommand(PutMetricAlarmCommand);
    scalingMock.resetHistory();
    await handler({ state: deployedState() });
    expect(scalingMock).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
  });

  it('keeps the deployment when autoscaling is refused, with a warning', async () => {
    const state = deployedState({ config: resolvedConfig({ autoscaling: { minCapacity: 0, maxCapacity: 2, targetBacklogPerInstance: 5, scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60 } }) });
    givenResources(state.names.endpointConfig);
    scalingMock.on(RegisterScalableTargetCommand).rejects(awsError('ValidationException', 'Unsupported service namespace'));
    const result = await handler({ state });
    expect(result.autoscaling).toBeUndefined();
    expect(auditRecord().finalize.warnings).toEqual(['autoscaling of endpoint recommender not configured: ValidationException: Unsupported service namespace']);
  });

  describe('production was at 0 instances', () => {
    const target = { ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/recommender/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;
    const atOne = { EndpointName: 'recommender', EndpointArn: ENDPOINT_ARN, EndpointStatus: 'InService' as const, ProductionVariants: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 1, CurrentInstanceCount: 1 }] };
    const zeroState = (strategy: 'in-place' | 'candidate', scaleInSuspended: boolean) =>
      deployedState({ deployment: { action: 'update', strategy, previousConfigName: PREVIOUS, scaledToZero: { scaleInSuspended }, startedAt: minutes(2).toISOString() } });

    beforeEach(() => {
      sagemakerMock.on(DescribeEndpointCommand).resolves(atOne);
      sagemakerMock.on(UpdateEndpointWeightsAndCapacitiesCommand).resolves({ EndpointArn: ENDPOINT_ARN });
    });

    it('in-place: the instances raised for the smoke tests go back to 0 and the scale-in it suspended resumes; the record says so', async () => {
      const state = zeroState('in-place', true);
      givenResources(state.names.endpointConfig);
      const result = await handler({ state });
      expect(sagemakerMock).toHaveReceivedCommandWith(UpdateEndpointWeightsAndCapacitiesCommand, {
        EndpointName: 'recommender',
        DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 0 }],
      });
      expect(scalingMock).toHaveReceivedCommandWith(RegisterScalableTargetCommand, { ...target, SuspendedState: { DynamicScalingInSuspended: false } });
      expect(result.scaledToZero).toEqual({
        actions: ['scaled endpoint recommender back to 0 instances', 'resumed dynamic scale-in of endpoint/recommender/variant/AllTraffic'],
      });
      expect(auditRecord().release.scaledToZero).toEqual({ how: expect.stringMatching(/^in-place at 0 instances/), scaleInSuspended: true });
    });

    it('in-place, scale-in found suspended: left suspended', async () => {
      const state = zeroState('in-place', false);
      givenResources(state.names.endpointConfig);
      const result = await handler({ state });
      expect(scalingMock).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
      expect(result.scaledToZero).toEqual({ actions: ['scaled endpoint recommender back to 0 instances'] });
    });

    it('candidate: production was never scaled out by the run, so nothing is changed (its instances now are real traffic)', async () => {
      const state = zeroState('candidate', false);
      givenResources(state.names.endpointConfig);
      const result = await handler({ state });
      expect(sagemakerMock).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
      expect(result.scaledToZero).toBeUndefined();
      expect(auditRecord().release.scaledToZero).toEqual({ how: expect.stringMatching(/^candidate at 0 instances/), scaleInSuspended: false });
    });

    it('a refusal is a warning saying what to run by hand; the release still passes', async () => {
      const state = zeroState('in-place', true);
      givenResources(state.names.endpointConfig);
      sagemakerMock.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(awsError('ValidationException', 'Cannot update in-progress endpoint'));
      const result = await handler({ state });
      expect(result.verdict).toBe('passed');
      expect(result.scaledToZero).toEqual({ actions: ['resumed dynamic scale-in of endpoint/recommender/variant/AllTraffic'] });
      expect(auditRecord().finalize.warnings).toEqual([
        expect.stringMatching(/^could not set the instance count back to 0 of endpoint recommender: ValidationException: Cannot update in-progress endpoint; by hand: aws sagemaker update-endpoint-weights-and-capacities/),
      ]);
    });
  });

  it('retries throttling instead of reporting it', async () => {
    givenResources(deployedState().names.endpointConfig);
    sagemakerMock.on(DeleteEndpointConfigCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(handler({ state: deployedState() })).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('refuses a state with no deployment (a workflow bug), naming what is missing', async () => {
    await expect(handler({ state: pipelineState() })).rejects.toThrow('Finalize reached without $.model, $.endpointConfig, $.deployment');
  });
});
