import {
  AddTagsCommand,
  CreateEndpointCommand,
  DescribeEndpointCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { PREVIOUS_CONFIG_TAG } from '../../functions/deploy-endpoint/deploy-endpoint';
import { handler } from '../../functions/deploy-endpoint/handler';
import { TAGS } from '../../functions/lib/names';
import { SCALED_TO_ZERO_TAG } from '../../functions/lib/scaled-to-zero';
import { awsError, EXECUTION, pipelineState, resolvedConfig, setTestEnvironment } from './fixtures';

const sm = mockClient(SageMakerClient);
const scaling = mockClient(ApplicationAutoScalingClient);
const base = pipelineState();
const configArn = `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${base.names.endpointConfig}`;
const state = pipelineState({
  model: { name: base.names.model, arn: 'arn:model', createdNow: true },
  endpointConfig: { name: base.names.endpointConfig, arn: configArn, createdNow: true },
});
const ours = state.names.endpointConfig;
const previous = 'recommender-0123456789';
const notFound = () => awsError('ValidationException', 'Could not find endpoint "recommender".');
const endpointArn = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/recommender';
const candidateArn = `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${base.names.candidate}`;
const inPlace = pipelineState({ ...state, config: resolvedConfig({ release: { ...resolvedConfig().release, strategy: 'in-place' } }) });
/** An existing production endpoint, as DescribeEndpoint answers for it. */
const existing = (EndpointStatus: string, EndpointConfigName: string, extra: object = {}) =>
  ({ EndpointName: 'recommender', EndpointArn: endpointArn, EndpointStatus, EndpointConfigName, ...extra }) as DescribeEndpointCommandOutput;

beforeEach(() => {
  setTestEnvironment();
  sm.reset();
  scaling.reset();
  // production carries this pipeline's tag (the test environment's PIPELINE_ID is "aep")
  sm.on(ListTagsCommand, { ResourceArn: endpointArn }).resolves({ Tags: [{ Key: TAGS.pipeline, Value: 'aep' }] });
});

it('creates the endpoint on our config when it does not exist', async () => {
  sm.on(DescribeEndpointCommand).rejects(notFound());
  sm.on(CreateEndpointCommand).resolves({ EndpointArn: 'arn:endpoint' });
  const result = await handler(state);
  expect(result).toEqual({ action: 'create', strategy: 'new', startedAt: expect.any(String) });
  expect(Date.parse(result.startedAt)).toBeGreaterThan(Date.now() - 10_000);
  expect(sm).toHaveReceivedCommandWith(CreateEndpointCommand, {
    EndpointName: 'recommender',
    EndpointConfigName: ours,
    Tags: expect.arrayContaining([{ Key: TAGS.execution, Value: EXECUTION.id }]),
  });
});

describe('an existing endpoint, strategy candidate (the default)', () => {
  it('leaves production alone and creates the candidate endpoint on our config, tagged', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves(existing('InService', previous));
    sm.on(DescribeEndpointCommand, { EndpointName: base.names.candidate }).rejects(notFound());
    sm.on(CreateEndpointCommand).resolves({ EndpointArn: candidateArn });
    await expect(handler(state)).resolves.toEqual({
      action: 'update',
      strategy: 'candidate',
      candidateEndpointName: base.names.candidate,
      previousConfigName: previous,
      startedAt: expect.any(String),
    });
    expect(base.names.candidate.length).toBeLessThanOrEqual(63);
    expect(sm).toHaveReceivedCommandWith(CreateEndpointCommand, {
      EndpointName: base.names.candidate,
      EndpointConfigName: ours,
      Tags: expect.arrayContaining([
        { Key: TAGS.pipeline, Value: 'aep' },
        { Key: TAGS.execution, Value: EXECUTION.id },
        { Key: TAGS.candidateFor, Value: 'recommender' },
      ]),
    });
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(sm).not.toHaveReceivedCommand(AddTagsCommand);
  });

  it('a retry finds its own candidate and carries on', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves(existing('InService', previous));
    sm.on(DescribeEndpointCommand, { EndpointName: base.names.candidate }).resolves({ EndpointArn: candidateArn, EndpointStatus: 'Creating' });
    sm.on(ListTagsCommand, { ResourceArn: candidateArn }).resolves({ Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
    await expect(handler(state)).resolves.toMatchObject({ strategy: 'candidate', candidateEndpointName: base.names.candidate });
    expect(sm).not.toHaveReceivedCommand(CreateEndpointCommand);
  });

  it('a candidate name held by something else: EndpointCreationFailed, production untouched', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves(existing('InService', previous));
    sm.on(DescribeEndpointCommand, { EndpointName: base.names.candidate }).resolves({ EndpointArn: candidateArn, EndpointStatus: 'InService' });
    sm.on(ListTagsCommand, { ResourceArn: candidateArn }).resolves({ Tags: [] });
    await expect(handler(state)).rejects.toMatchObject({ name: 'EndpointCreationFailed', message: expect.stringContaining(base.names.candidate) });
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });
});

describe('ownership', () => {
  it('an endpoint without the pipeline tag: EndpointNotOwned naming the tag found, nothing called', async () => {
    sm.on(DescribeEndpointCommand).resolves(existing('InService', previous));
    sm.on(ListTagsCommand, { ResourceArn: endpointArn }).resolves({ Tags: [{ Key: TAGS.pipeline, Value: 'other-team' }] });
    await expect(handler(state)).rejects.toMatchObject({
      name: 'EndpointNotOwned',
      message: expect.stringMatching(/tag is "other-team", not "aep".*"adopt": true/),
    });
    expect(sm).not.toHaveReceivedCommand(CreateEndpointCommand);
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(sm).not.toHaveReceivedCommand(AddTagsCommand);
  });

  it('an untagged endpoint says it has no tag', async () => {
    sm.on(DescribeEndpointCommand).resolves(existing('InService', previous));
    sm.on(ListTagsCommand, { ResourceArn: endpointArn }).resolves({ Tags: [] });
    await expect(handler(state)).rejects.toMatchObject({ name: 'EndpointNotOwned', message: expect.stringContaining('it has no aep:pipeline tag') });
  });

  it('adopt: true tags it as ours, then deploys (and says it adopted)', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves(existing('InService', previous));
    sm.on(DescribeEndpointCommand, { EndpointName: base.names.candidate }).rejects(notFound());
    sm.on(ListTagsCommand, { ResourceArn: endpointArn }).resolves({ Tags: [] });
    sm.on(CreateEndpointCommand).resolves({ EndpointArn: candidateArn });
    const adopting = { ...state, config: { ...state.config, adopt: true } };
    await expect(handler(adopting)).resolves.toMatchObject({ strategy: 'candidate', adopted: true });
    expect(sm).toHaveReceivedCommandWith(AddTagsCommand, {
      ResourceArn: endpointArn,
      Tags: expect.arrayContaining([{ Key: TAGS.pipeline, Value: 'aep' }]),
    });
  });
});

it('in-place: updates production with RetainAllVariantProperties and the DeploymentConfig, remembering (and tagging) the config it served', async () => {
  sm.on(DescribeEndpointCommand).resolves(existing('InService', previous));
  sm.on(AddTagsCommand).resolves({});
  sm.on(UpdateEndpointCommand).resolves({});
  await expect(handler(inPlace)).resolves.toEqual({
    action: 'update',
    strategy: 'in-place',
    previousConfigName: previous,
    deploymentConfig: { BlueGreenUpdatePolicy: expect.objectContaining({ TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 } }) },
    startedAt: expect.any(String),
  });
  expect(sm).toHaveReceivedCommandWith(AddTagsCommand, { ResourceArn: configArn, Tags: [{ Key: PREVIOUS_CONFIG_TAG, Value: previous }] });
  expect(sm).toHaveReceivedCommandWith(UpdateEndpointCommand, {
    EndpointName: 'recommender',
    EndpointConfigName: ours,
    RetainAllVariantProperties: true,
    DeploymentConfig: expect.objectContaining({ BlueGreenUpdatePolicy: expect.any(Object) }),
  });
  expect(sm).not.toHaveReceivedCommand(CreateEndpointCommand);
});

describe('production scaled to zero', () => {
  const atZero = (extra: object = {}) => existing('InService', previous, { ProductionVariants: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 0, CurrentInstanceCount: 0 }], ...extra });
  const target = { ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/recommender/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;
  const registered = (DynamicScalingInSuspended: boolean) =>
    scaling.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [{ ...target, MinCapacity: 0, MaxCapacity: 2, RoleARN: 'arn:role', CreationTime: new Date(), SuspendedState: { DynamicScalingInSuspended } }],
    });

  beforeEach(() => {
    sm.on(AddTagsCommand).resolves({});
    sm.on(UpdateEndpointCommand).resolves({});
    sm.on(ListTagsCommand, { ResourceArn: configArn }).resolves({ Tags: [] });
    scaling.on(RegisterScalableTargetCommand).resolves({});
  });

  it('candidate: production is left alone (promotion keeps 0), the candidate has its own instances; recorded', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves(atZero());
    sm.on(DescribeEndpointCommand, { EndpointName: base.names.candidate }).rejects(notFound());
    sm.on(CreateEndpointCommand).resolves({ EndpointArn: candidateArn });
    await expect(handler(state)).resolves.toMatchObject({ strategy: 'candidate', scaledToZero: { scaleInSuspended: false } });
    expect(scaling).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  it('in-place: scale-in suspended first, then the update takes the config instance count (ExcludeRetainedVariantProperties); both recorded on our config', async () => {
    sm.on(DescribeEndpointCommand).resolves(atZero());
    registered(false);
    await expect(handler(inPlace)).resolves.toMatchObject({ strategy: 'in-place', previousConfigName: previous, scaledToZero: { scaleInSuspended: true } });
    expect(sm).toHaveReceivedCommandWith(AddTagsCommand, {
      ResourceArn: configArn,
      Tags: [
        { Key: PREVIOUS_CONFIG_TAG, Value: previous },
        { Key: SCALED_TO_ZERO_TAG, Value: 'suspended-by-run' },
      ],
    });
    expect(scaling).toHaveReceivedCommandWith(RegisterScalableTargetCommand, { ...target, SuspendedState: { DynamicScalingInSuspended: true } });
    expect(sm).toHaveReceivedCommandWith(UpdateEndpointCommand, {
      EndpointName: 'recommender',
      EndpointConfigName: ours,
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredInstanceCount' }],
    });
    // the suspension is in place before the update brings instances up
    expect(scaling.commandCalls(RegisterScalableTargetCommand)[0].calledBefore(sm.commandCalls(UpdateEndpointCommand)[0])).toBe(true);
  });

  it('in-place: scale-in already suspended (or no registration) is left as found', async () => {
    sm.on(DescribeEndpointCommand).resolves(atZero());
    registered(true);
    await expect(handler(inPlace)).resolves.toMatchObject({ scaledToZero: { scaleInSuspended: false } });
    scaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    await expect(handler(inPlace)).resolves.toMatchObject({ scaledToZero: { scaleInSuspended: false } });
    expect(scaling).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    expect(sm).toHaveReceivedCommandWith(AddTagsCommand, { Tags: expect.arrayContaining([{ Key: SCALED_TO_ZERO_TAG, Value: 'left-as-found' }]) });
  });

  it('in-place: a retry keeps what the first attempt recorded (it suspended scale-in already, so it looks suspended now)', async () => {
    sm.on(DescribeEndpointCommand).resolves(atZero());
    sm.on(ListTagsCommand, { ResourceArn: configArn }).resolves({ Tags: [{ Key: SCALED_TO_ZERO_TAG, Value: 'suspended-by-run' }] });
    registered(true);
    await expect(handler(inPlace)).resolves.toMatchObject({ scaledToZero: { scaleInSuspended: true } });
    expect(scaling).not.toHaveReceivedCommand(DescribeScalableTargetsCommand);
  });

  it('in-place at more than 0 instances: capacity retained, no scaling call', async () => {
    sm.on(DescribeEndpointCommand).resolves(existing('InService', previous, { ProductionVariants: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 2, CurrentInstanceCount: 2 }] }));
    const result = await handler(inPlace);
    expect(result.scaledToZero).toBeUndefined();
    expect(scaling).not.toHaveReceivedAnyCommand();
    expect(sm.commandCalls(UpdateEndpointCommand)[0].args[0].input.ExcludeRetainedVariantProperties).toBeUndefined();
  });

  it('a re-run after the update was accepted still knows production was at 0 (from the tag on our config)', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: ours });
    sm.on(ListTagsCommand, { ResourceArn: configArn }).resolves({
      Tags: [
        { Key: PREVIOUS_CONFIG_TAG, Value: previous },
        { Key: SCALED_TO_ZERO_TAG, Value: 'suspended-by-run' },
      ],
    });
    await expect(handler(inPlace)).resolves.toEqual({
      action: 'update',
      strategy: 'in-place',
      previousConfigName: previous,
      scaledToZero: { scaleInSuspended: true },
      startedAt: expect.any(String),
    });
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });
});

describe('a re-run finds the endpoint already on (or moving to) our config', () => {
  it('after a create: carries on as create, calls nothing', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Creating', EndpointConfigName: ours });
    sm.on(ListTagsCommand).resolves({ Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
    await expect(handler(state)).resolves.toEqual({ action: 'create', strategy: 'new', startedAt: expect.any(String) });
    expect(sm).not.toHaveReceivedCommand(CreateEndpointCommand);
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  it('after an update still pending: previous config from EndpointConfigName', async () => {
    sm.on(DescribeEndpointCommand).resolves({
      EndpointStatus: 'Updating',
      EndpointConfigName: previous,
      PendingDeploymentSummary: { EndpointConfigName: ours },
    });
    sm.on(ListTagsCommand, { ResourceArn: configArn }).resolves({ Tags: [{ Key: PREVIOUS_CONFIG_TAG, Value: previous }] });
    await expect(handler(inPlace)).resolves.toEqual({ action: 'update', strategy: 'in-place', previousConfigName: previous, startedAt: expect.any(String) });
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  it('after a completed update: previous config from the tag on our config', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: ours });
    sm.on(ListTagsCommand, { ResourceArn: configArn }).resolves({ Tags: [{ Key: PREVIOUS_CONFIG_TAG, Value: previous }] });
    await expect(handler(inPlace)).resolves.toEqual({ action: 'update', strategy: 'in-place', previousConfigName: previous, startedAt: expect.any(String) });
  });

  it('keeps previousConfigName and startedAt from the input state when present', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: ours });
    const deployment = { action: 'update' as const, strategy: 'in-place' as const, previousConfigName: previous, startedAt: '2025-01-01T00:01:00.000Z' };
    await expect(handler({ ...inPlace, deployment })).resolves.toEqual(deployment);
    expect(sm).not.toHaveReceivedCommand(ListTagsCommand);
  });

  it('when a duplicate of this step created it between describe and create', async () => {
    sm.on(DescribeEndpointCommand).rejectsOnce(notFound()).resolves({ EndpointStatus: 'Creating', EndpointConfigName: ours });
    sm.on(CreateEndpointCommand).rejects(awsError('ValidationException', 'Cannot create already existing endpoint "arn:…".'));
    sm.on(ListTagsCommand).resolves({ Tags: [] });
    await expect(handler(state)).resolves.toEqual({ action: 'create', strategy: 'new', startedAt: expect.any(String) });
  });
});

it.each(['Creating', 'Updating', 'SystemUpdating', 'Deleting'])(
  'fails with DeploymentInProgress when someone else has the endpoint %s',
  async (status) => {
    sm.on(DescribeEndpointCommand).resolves(existing(status, previous));
    await expect(handler(state)).rejects.toMatchObject({
      name: 'DeploymentInProgress',
      message: expect.stringContaining(`is ${status} on config ${previous}, a change this run did not make`),
    });
  },
);

it('fails with EndpointUpdateFailed on a Failed endpoint, with its reason and the way out', async () => {
  sm.on(DescribeEndpointCommand).resolves(existing('Failed', previous, { FailureReason: 'Image not found' }));
  await expect(handler(state)).rejects.toMatchObject({
    name: 'EndpointUpdateFailed',
    message: expect.stringMatching(/FailureReason: Image not found.*delete-endpoint --endpoint-name recommender/),
  });
});

it('fails with EndpointCreationFailed when SageMaker refuses CreateEndpoint', async () => {
  sm.on(DescribeEndpointCommand).rejects(notFound());
  sm.on(CreateEndpointCommand).rejects(awsError('ResourceLimitExceeded', 'endpoint limit reached'));
  await expect(handler(state)).rejects.toMatchObject({ name: 'EndpointCreationFailed', message: expect.stringContaining('endpoint limit reached') });
});

it('fails with DeploymentInProgress when someone else created the endpoint during our create', async () => {
  sm.on(DescribeEndpointCommand).rejectsOnce(notFound()).resolves({ EndpointStatus: 'Creating', EndpointConfigName: previous });
  sm.on(CreateEndpointCommand).rejects(awsError('ValidationException', 'Cannot create already existing endpoint "arn:…".'));
  await expect(handler(state)).rejects.toMatchObject({ name: 'DeploymentInProgress' });
});

it.each([
  ['Cannot update in-progress endpoint "arn:…".', 'DeploymentInProgress'],
  ['Model data for the new variant could not be validated.', 'EndpointUpdateFailed'],
])('maps an UpdateEndpoint refusal "%s" to %s', async (message, errorName) => {
  sm.on(DescribeEndpointCommand).resolves(existing('InService', previous));
  sm.on(AddTagsCommand).resolves({});
  sm.on(UpdateEndpointCommand).rejects(awsError('ValidationException', message));
  await expect(handler(inPlace)).rejects.toMatchObject({ name: errorName, message: expect.stringContaining(message) });
});
