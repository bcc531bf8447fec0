import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { describeEndpoint } from '../../functions/describe-endpoint/describe-endpoint';
import { handler } from '../../functions/describe-endpoint/handler';
import type { DeploymentState, PipelineState } from '../../functions/lib/pipeline-state';
import { awsError, pipelineState, setTestEnvironment } from './fixtures';

const sm = mockClient(SageMakerClient);
const startedAt = '2025-01-01T00:00:00.000Z';
const previous = 'recommender-0123456789';
const created: DeploymentState = { action: 'create', strategy: 'new', startedAt };
const updated: DeploymentState = { action: 'update', strategy: 'in-place', previousConfigName: previous, startedAt };
const withDeployment = (deployment: DeploymentState, extra: Partial<PipelineState> = {}) => pipelineState({ deployment, ...extra });
const ours = pipelineState().names.endpointConfig;
const at = (seconds: number) => new Date(Date.parse(startedAt) + seconds * 1000);

beforeEach(() => {
  setTestEnvironment();
  sm.reset();
});

it('is ready when the endpoint is InService on our config', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: ours });
  await expect(handler(withDeployment(created))).resolves.toMatchObject({ status: 'InService', configName: ours, ready: true, polls: 1 });
});

it('is not ready while Creating, counting polls and waiting a little longer each time from config.poll.endpointSeconds', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Creating', EndpointConfigName: ours });
  const previousPoll = { endpointName: 'recommender', phase: 'gate' as const, status: 'Creating', ready: false, polls: 2, nextPollSeconds: 30, checkedAt: startedAt };
  await expect(describeEndpoint(withDeployment(created, { endpoint: previousPoll }), at(90))).resolves.toEqual({
    status: 'Creating',
    configName: ours,
    failureReason: undefined,
    ready: false,
    endpointName: 'recommender',
    phase: 'gate',
    polls: 3,
    // third poll: 30 s × 1.5, the cap (READINESS_POLL_MAX_FACTOR)
    nextPollSeconds: 45,
    checkedAt: at(90).toISOString(),
  });
});

it('never waits past the deadline', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Updating', EndpointConfigName: previous });
  const poll = await describeEndpoint(withDeployment(updated), at(3590));
  expect(poll.nextPollSeconds).toBe(10);
});

it('fails with EndpointCreationFailed and SageMaker’s FailureReason when a create fails', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Failed', EndpointConfigName: ours, FailureReason: 'The primary container did not pass the ping health check.' });
  await expect(handler(withDeployment(created))).rejects.toMatchObject({
    name: 'EndpointCreationFailed',
    message: expect.stringContaining('is Failed: The primary container did not pass the ping health check.'),
  });
});

it('fails with EndpointUpdateFailed when an update fails', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Failed', EndpointConfigName: ours });
  await expect(handler(withDeployment(updated))).rejects.toMatchObject({ name: 'EndpointUpdateFailed' });
});

it('fails with EndpointUpdateFailed when SageMaker rolled the update back to the previous config', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: previous, FailureReason: 'Ping failed for new variant' });
  await expect(handler(withDeployment(updated))).rejects.toMatchObject({
    name: 'EndpointUpdateFailed',
    message: expect.stringMatching(/rolled endpoint recommender back to its previous config .*Ping failed for new variant/),
  });
});

it('fails when someone else moved a new endpoint to another config', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: 'hand-made' });
  await expect(handler(withDeployment(created))).rejects.toMatchObject({
    name: 'EndpointCreationFailed',
    message: expect.stringContaining('something outside the pipeline changed it'),
  });
});

it('fails when the endpoint disappeared', async () => {
  sm.on(DescribeEndpointCommand).rejects(awsError('ValidationException', 'Could not find endpoint "recommender".'));
  await expect(handler(withDeployment(created))).rejects.toMatchObject({ name: 'EndpointCreationFailed', message: expect.stringContaining('no longer exists') });
});

it('fails with EndpointTimeout after timeouts.endpointSeconds, saying how long, the status and the rollback', async () => {
  sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Creating', EndpointConfigName: ours });
  await expect(describeEndpoint(withDeployment(created), at(3600))).rejects.toMatchObject({
    name: 'EndpointTimeout',
    message: expect.stringMatching(/still Creating 3600 s .*timeouts\.endpointSeconds = 3600.*failure path took over/),
  });
});
