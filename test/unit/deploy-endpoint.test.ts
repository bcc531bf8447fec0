import {
  AddTagsCommand,
  CreateEndpointCommand,
  DescribeEndpointCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { PREVIOUS_CONFIG_TAG } from '../../functions/deploy-endpoint/deploy-endpoint';
import { handler } from '../../functions/deploy-endpoint/handler';
import { TAGS } from '../../functions/lib/names';
import { awsError, EXECUTION, pipelineState, setTestEnvironment } from './fixtures';

const sm = mockClient(SageMakerClient);
const base = pipelineState();
const configArn = `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${base.names.endpointConfig}`;
const state = pipelineState({
  model: { name: base.names.model, arn: 'arn:model', createdNow: true },
  endpointConfig: { name: base.names.endpointConfig, arn: configArn, createdNow: true },
});
const ours = state.names.endpointConfig;
const previous = 'recommender-0123456789';
const notFound = () => awsError('ValidationException', 'Could not find endpoint "recommender".');

beforeEach(() => {
  setTestEnvironment();
  sm.reset();
});

it('creates the endpoint on our config when it does not exist', async () => {
  sm.on(DescribeEndpointCommand).rejects(notFound());
  sm.on(CreateEndpointCommand).resolves({ EndpointArn: 'arn:endpoint' });
  const result = await handler(state);
  expect(result).toEqual({ action: 'create', startedAt: expect.any(String) });
  expect(Date.parse(result.startedAt)).toBeGreaterThan(Date.now() - 10_000);
  expect(sm).toHaveReceivedCommandWith(CreateEndpointCommand, {
    EndpointName: 'recommender',
    EndpointConfigName: ours,
    Tags: expect.arrayContaining([{ Key: TAGS.execution, Value: EXECUTION.id }]),
  });
});

it('updates an InService endpoint, remembering (and tagging) the config it served', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: previous });
  sm.on(AddTagsCommand).resolves({});
  sm.on(UpdateEndpointCommand).resolves({});
  await expect(handler(state)).resolves.toEqual({ action: 'update', previousConfigName: previous, startedAt: expect.any(String) });
  expect(sm).toHaveReceivedCommandWith(AddTagsCommand, { ResourceArn: configArn, Tags: [{ Key: PREVIOUS_CONFIG_TAG, Value: previous }] });
  expect(sm).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: 'recommender', EndpointConfigName: ours });
});

describe('a re-run finds the endpoint already on (or moving to) our config', () => {
  it('after a create: carries on as create, calls nothing', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Creating', EndpointConfigName: ours });
    sm.on(ListTagsCommand).resolves({ Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
    await expect(handler(state)).resolves.toEqual({ action: 'create', startedAt: expect.any(String) });
    expect(sm).not.toHaveReceivedCommand(CreateEndpointCommand);
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  it('after an update still pending: previous config from EndpointConfigName', async () => {
    sm.on(DescribeEndpointCommand).resolves({
      EndpointStatus: 'Updating',
      EndpointConfigName: previous,
      PendingDeploymentSummary: { EndpointConfigName: ours },
    });
    await expect(handler(state)).resolves.toEqual({ action: 'update', previousConfigName: previous, startedAt: expect.any(String) });
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  it('after a completed update: previous config from the tag on our config', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: ours });
    sm.on(ListTagsCommand, { ResourceArn: configArn }).resolves({ Tags: [{ Key: PREVIOUS_CONFIG_TAG, Value: previous }] });
    await expect(handler(state)).resolves.toEqual({ action: 'update', previousConfigName: previous, startedAt: expect.any(String) });
  });

  it('keeps previousConfigName and startedAt from the input state when present', async () => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: ours });
    const deployment = { action: 'update' as const, previousConfigName: previous, startedAt: '2025-01-01T00:01:00.000Z' };
    await expect(handler({ ...state, deployment })).resolves.toEqual(deployment);
    expect(sm).not.toHaveReceivedCommand(ListTagsCommand);
  });

  it('when a duplicate of this step created it between describe and create', async () => {
    sm.on(DescribeEndpointCommand).rejectsOnce(notFound()).resolves({ EndpointStatus: 'Creating', EndpointConfigName: ours });
    sm.on(CreateEndpointCommand).rejects(awsError('ValidationException', 'Cannot create already existing endpoint "arn:…".'));
    sm.on(ListTagsCommand).resolves({ Tags: [] });
    await expect(handler(state)).resolves.toEqual({ action: 'create', startedAt: expect.any(String) });
  });
});

it.each(['Creating', 'Updating', 'SystemUpdating', 'Deleting'])(
  'fails with DeploymentInProgress when someone else has the endpoint %s',
  async (status) => {
    sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: status as 'Creating', EndpointConfigName: previous });
    await expect(handler(state)).rejects.toMatchObject({
      name: 'DeploymentInProgress',
      message: expect.stringContaining(`is ${status} on config ${previous}, a change this run did not make`),
    });
  },
);

it('fails with EndpointUpdateFailed on a Failed endpoint, with its reason and the way out', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Failed', EndpointConfigName: previous, FailureReason: 'Image not found' });
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
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: previous });
  sm.on(AddTagsCommand).resolves({});
  sm.on(UpdateEndpointCommand).rejects(awsError('ValidationException', message));
  await expect(handler(state)).rejects.toMatchObject({ name: errorName, message: expect.stringContaining(message) });
});
