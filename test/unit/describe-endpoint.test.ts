import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { describeEndpoint } from '../../functions/describe-endpoint/describe-endpoint';
import { handler } from '../../functions/describe-endpoint/handler';
import type { DeploymentState, PipelineState } from '../../functions/lib/pipeline-state';
import { awsError, pipelineState, resolvedConfig, setTestEnvironment } from './fixtures';

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

describe('candidate strategy: one loop, two waits', () => {
  const candidate = pipelineState().names.candidate;
  const viaCandidate: DeploymentState = { action: 'update', strategy: 'candidate', candidateEndpointName: candidate, previousConfigName: previous, startedAt };
  const release = (verify: boolean) => resolvedConfig({ release: { ...resolvedConfig().release, verify } });
  const smokeTests = [
    { ...resolvedConfig().smokeTests[0], name: 'a' },
    { ...resolvedConfig().smokeTests[0], name: 'b', verify: false },
  ];

  it('before promotion: polls the candidate (gate phase) and hands over every case', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: candidate }).resolves({ EndpointName: candidate, EndpointStatus: 'InService', EndpointConfigName: ours });
    const poll = await handler(withDeployment(viaCandidate, { config: { ...release(true), smokeTests } }));
    expect(poll).toMatchObject({ endpointName: candidate, phase: 'gate', ready: true, polls: 1 });
    expect(poll.cases?.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('a candidate that fails: EndpointUpdateFailed saying production is untouched', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: candidate }).resolves({ EndpointName: candidate, EndpointStatus: 'Failed', FailureReason: 'ping' });
    await expect(handler(withDeployment(viaCandidate))).rejects.toMatchObject({
      name: 'EndpointUpdateFailed',
      message: expect.stringContaining(`Candidate endpoint ${candidate} (production recommender is untouched) is Failed: ping`),
    });
  });

  const promotion = { endpointName: 'recommender', toConfigName: ours, deploymentConfig: {}, alarms: ['errors'], candidateDeleted: true, startedAt: '2025-01-01T00:10:00.000Z' };
  const gatePoll = { endpointName: candidate, phase: 'gate' as const, status: 'InService', ready: true, polls: 7, nextPollSeconds: 0, checkedAt: startedAt };

  it('after promotion: polls production (verify phase), counting polls afresh, timed from the promotion', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({ EndpointName: 'recommender', EndpointStatus: 'Updating', EndpointConfigName: previous });
    const state = withDeployment(viaCandidate, { promotion, endpoint: gatePoll });
    // 3600 s after the deployment started, but only 3000 s after the promotion: not timed out
    const poll = await describeEndpoint(state, at(3600));
    expect(poll).toMatchObject({ endpointName: 'recommender', phase: 'verify', ready: false, polls: 1 });
  });

  it('after promotion: only the cases marked verify; none when release.verify is off', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({ EndpointName: 'recommender', EndpointStatus: 'InService', EndpointConfigName: ours });
    const on = await handler(withDeployment(viaCandidate, { promotion, config: { ...release(true), smokeTests } }));
    expect(on.cases?.map((c) => c.name)).toEqual(['a']);
    const off = await handler(withDeployment(viaCandidate, { promotion, config: { ...release(false), smokeTests } }));
    expect(off.cases).toEqual([]);
  });

  describe('production promoted at 0 instances (scaled to zero)', () => {
    const variants = (DesiredInstanceCount: number) => [{ VariantName: 'AllTraffic', DesiredInstanceCount, CurrentInstanceCount: DesiredInstanceCount }];

    it('the verification is skipped (no wait for a scale-out from zero), saying why: the gate ran the same config on the candidate', async () => {
      sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({ EndpointName: 'recommender', EndpointStatus: 'InService', EndpointConfigName: ours, ProductionVariants: variants(0) });
      const poll = await handler(withDeployment(viaCandidate, { promotion, config: { ...release(true), smokeTests } }));
      expect(poll).toMatchObject({ phase: 'verify', ready: true, cases: [] });
      expect(poll.verifySkipped).toMatch(new RegExp(`production recommender has 0 instances .*candidate ${candidate} with the same endpoint config ${ours}`));
    });

    it('production that has instances (scaled out meanwhile) is verified as usual', async () => {
      sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({ EndpointName: 'recommender', EndpointStatus: 'InService', EndpointConfigName: ours, ProductionVariants: variants(1) });
      const poll = await handler(withDeployment(viaCandidate, { promotion, config: { ...release(true), smokeTests } }));
      expect(poll.cases?.map((c) => c.name)).toEqual(['a']);
      expect(poll.verifySkipped).toBeUndefined();
    });

    it('nothing is said skipped when there was nothing to verify (release.verify off), nor at the gate', async () => {
      sm.on(DescribeEndpointCommand).resolves({ EndpointName: 'recommender', EndpointStatus: 'InService', EndpointConfigName: ours, ProductionVariants: variants(0) });
      const off = await handler(withDeployment(viaCandidate, { promotion, config: { ...release(false), smokeTests } }));
      expect(off.verifySkipped).toBeUndefined();
      const gate = await handler(withDeployment(updated, { config: { ...release(true), smokeTests } }));
      expect(gate).toMatchObject({ phase: 'gate', ready: true });
      expect(gate.cases?.map((c) => c.name)).toEqual(['a', 'b']);
    });
  });

  it('SageMaker rolled the promotion back (an alarm): EndpointUpdateFailed with its FailureReason naming the alarm', async () => {
    sm.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({
      EndpointName: 'recommender',
      EndpointStatus: 'InService',
      EndpointConfigName: previous,
      FailureReason: 'Alarm errors is in ALARM state; the deployment was rolled back.',
    });
    await expect(handler(withDeployment(viaCandidate, { promotion }))).rejects.toMatchObject({
      name: 'EndpointUpdateFailed',
      message: expect.stringMatching(/SageMaker rolled endpoint recommender back .*Alarm errors is in ALARM/),
    });
  });
});
