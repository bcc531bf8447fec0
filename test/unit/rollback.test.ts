import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { PREVIOUS_CONFIG_TAG } from '../../functions/deploy-endpoint/deploy-endpoint';
import type { PipelineState } from '../../functions/lib/pipeline-state';
import { SCALED_TO_ZERO_TAG } from '../../functions/lib/scaled-to-zero';
import { handler } from '../../functions/rollback/handler';
import { rollbackStep, type RollbackProgress } from '../../functions/rollback/rollback';
import { awsError, EXECUTION, OTHER_EXECUTION_ARN, pipelineState, resolvedConfig, setTestEnvironment } from './fixtures';

const sagemakerMock = mockClient(SageMakerClient);
const scalingMock = mockClient(ApplicationAutoScalingClient);
const ENDPOINT_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/recommender';
const MODEL_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model/recommender-own';
const CONFIG_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/recommender-own';
const PREVIOUS = 'recommender-0000000005';
const ORIGINAL_ERROR = { Error: 'BaselineMismatch', Cause: '["case shoes-top5: overlap@5 = 0.40 < minOverlap 0.80"]' };
const now = new Date('2025-01-01T01:00:00.000Z');
const notFound = (what: string) => awsError('ValidationException', `Could not find ${what}.`);
const tagged = (executionArn: string) => ({ Tags: [{ Key: 'aep:execution', Value: executionArn }] });

function failedState(action: 'create' | 'update' | undefined, overrides: Partial<PipelineState> = {}): PipelineState {
  const base = pipelineState(overrides);
  return {
    ...base,
    model: { name: base.names.model, arn: MODEL_ARN, createdNow: true },
    endpointConfig: { name: base.names.endpointConfig, arn: CONFIG_ARN, createdNow: true },
    ...(action === 'create' ? { deployment: { action, strategy: 'new' as const, startedAt: now.toISOString() } } : {}),
    ...(action === 'update' ? { deployment: { action, strategy: 'in-place' as const, previousConfigName: PREVIOUS, startedAt: now.toISOString() } } : {}),
    error: ORIGINAL_ERROR,
    ...overrides,
  };
}

function givenEndpoint(status: string, configName: string, createdBy = OTHER_EXECUTION_ARN) {
  sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointName: 'recommender', EndpointArn: ENDPOINT_ARN, EndpointStatus: status as never, EndpointConfigName: configName });
  sagemakerMock.on(ListTagsCommand, { ResourceArn: ENDPOINT_ARN }).resolves(tagged(createdBy));
}

function givenOwnModelAndConfig(createdBy = EXECUTION.id) {
  sagemakerMock.on(DescribeModelCommand).resolves({ ModelName: 'own', ModelArn: MODEL_ARN });
  sagemakerMock.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigName: 'own', EndpointConfigArn: CONFIG_ARN });
  sagemakerMock.on(ListTagsCommand, { ResourceArn: MODEL_ARN }).resolves(tagged(createdBy));
  sagemakerMock.on(ListTagsCommand, { ResourceArn: CONFIG_ARN }).resolves(tagged(createdBy));
}

function givenNoEndpoint() {
  sagemakerMock.on(DescribeEndpointCommand).rejects(notFound('endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/recommender"'));
}

const withProgress = (state: PipelineState, progress: RollbackProgress): PipelineState => ({ ...state, rollback: progress });

beforeEach(() => {
  setTestEnvironment();
  sagemakerMock.reset();
  scalingMock.reset();
  scalingMock.on(RegisterScalableTargetCommand).resolves({});
  sagemakerMock.on(UpdateEndpointWeightsAndCapacitiesCommand).resolves({});
  sagemakerMock.on(DescribeModelCommand).rejects(notFound('model'));
  sagemakerMock.on(DescribeEndpointConfigCommand).rejects(notFound('endpoint configuration'));
  sagemakerMock.on(DeleteEndpointCommand).resolves({});
  sagemakerMock.on(DeleteEndpointConfigCommand).resolves({});
  sagemakerMock.on(DeleteModelCommand).resolves({});
  sagemakerMock.on(UpdateEndpointCommand).resolves({});
});

describe('Rollback after a failed first deployment (create)', () => {
  it('completes at once when nothing was created yet', async () => {
    givenNoEndpoint();
    const result = await handler(failedState(undefined));
    expect(result).toMatchObject({ complete: true, actions: ['nothing to roll back: no SageMaker resource of this run exists'], kept: [] });
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  it('carries on when its own endpoint disappears between the describe and the tag lookup (its delete finishing)', async () => {
    givenOwnModelAndConfig();
    sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointName: 'recommender', EndpointArn: ENDPOINT_ARN, EndpointStatus: 'InService', EndpointConfigName: 'own' });
    sagemakerMock.on(ListTagsCommand, { ResourceArn: ENDPOINT_ARN }).rejects(notFound(`endpoint "${ENDPOINT_ARN}"`));
    const result = await handler(failedState('create'));
    expect(result.complete).toBe(true);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(sagemakerMock).toHaveReceivedCommand(DeleteEndpointConfigCommand);
    expect(sagemakerMock).toHaveReceivedCommand(DeleteModelCommand);
  });

  it('deletes the endpoint, then (once it is gone) the config and the model: nothing is left', async () => {
    const state = failedState('create', { error: { Error: 'EndpointCreationFailed', Cause: 'Failed: image not found' } });
    givenEndpoint('Failed', state.names.endpointConfig, EXECUTION.id);
    givenOwnModelAndConfig();
    const first = await rollbackStep(state, now);
    expect(first).toMatchObject({ complete: false, actions: ['deleted endpoint recommender'], nextPollSeconds: 30, polls: 1 });
    expect(sagemakerMock).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: 'recommender' });
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointConfigCommand);

    givenNoEndpoint();
    const second = await rollbackStep(withProgress(state, first), now);
    expect(second).toMatchObject({
      complete: true,
      actions: ['deleted endpoint recommender', `deleted endpoint config ${state.names.endpointConfig}`, `deleted model ${state.names.model}`],
      kept: [],
    });
    expect(sagemakerMock).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: state.names.endpointConfig });
    expect(sagemakerMock).toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: state.names.model });
  });

  it('waits while the endpoint is still Creating', async () => {
    const state = failedState('create');
    givenEndpoint('Creating', state.names.endpointConfig, EXECUTION.id);
    givenOwnModelAndConfig();
    const result = await rollbackStep(state, now);
    expect(result).toMatchObject({ complete: false, actions: ['waiting for endpoint recommender (Creating)'] });
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  it('keeps everything under onFailure keep, and says so', async () => {
    const state = failedState('create', { config: resolvedConfig({ onFailure: 'keep' }) });
    givenEndpoint('InService', state.names.endpointConfig, EXECUTION.id);
    givenOwnModelAndConfig();
    const result = await rollbackStep(state, now);
    expect(result).toMatchObject({
      complete: true,
      kept: ['endpoint recommender', `endpoint config ${state.names.endpointConfig}`, `model ${state.names.model}`],
    });
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointConfigCommand);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  it('deletes only what this execution created', async () => {
    givenNoEndpoint();
    givenOwnModelAndConfig(OTHER_EXECUTION_ARN);
    const state = failedState('create');
    const result = await rollbackStep(state, now);
    expect(result.actions).toEqual([
      `endpoint config ${state.names.endpointConfig} was not created by this execution; left as is`,
      `model ${state.names.model} was not created by this execution; left as is`,
    ]);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  it('is RollbackFailed naming the resource, the original error and the command when a deletion is refused', async () => {
    givenNoEndpoint();
    givenOwnModelAndConfig();
    sagemakerMock.on(DeleteModelCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform sagemaker:DeleteModel'));
    const state = failedState('create');
    await expect(rollbackStep(state, now)).rejects.toMatchObject({
      name: 'RollbackFailed',
      message:
        `Rollback could not delete model ${state.names.model} (AccessDeniedException: not authorized to perform sagemaker:DeleteModel). ` +
        `The deployment had failed with BaselineMismatch: ${ORIGINAL_ERROR.Cause}. By hand: aws sagemaker delete-model --model-name ${state.names.model}`,
    });
  });
});

describe('Rollback after a failed update', () => {
  it('restores the previous config, waits while Updating, then deletes this run\'s config and model', async () => {
    const state = failedState('update');
    givenOwnModelAndConfig();
    givenEndpoint('InService', state.names.endpointConfig);
    const first = await rollbackStep(state, now);
    expect(sagemakerMock).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: 'recommender', EndpointConfigName: PREVIOUS });
    expect(first).toMatchObject({ complete: false, restoreRequested: true, actions: [`restoring endpoint recommender to config ${PREVIOUS}`] });
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);

    givenEndpoint('Updating', state.names.endpointConfig);
    const second = await rollbackStep(withProgress(state, first), now);
    expect(second).toMatchObject({ complete: false, polls: 2 });
    expect(sagemakerMock).toHaveReceivedCommandTimes(UpdateEndpointCommand, 1);

    givenEndpoint('InService', PREVIOUS);
    const third = await rollbackStep(withProgress(state, second), now);
    expect(third).toMatchObject({ complete: true });
    expect(third.actions).toEqual([
      `restoring endpoint recommender to config ${PREVIOUS}`,
      'waiting for endpoint recommender (Updating)',
      `restored endpoint recommender to config ${PREVIOUS}`,
      `deleted endpoint config ${state.names.endpointConfig}`,
      `deleted model ${state.names.model}`,
    ]);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  it('does not update an endpoint SageMaker already rolled back, and never deletes it', async () => {
    const state = failedState('update', { error: { Error: 'EndpointUpdateFailed', Cause: 'update rolled back' } });
    givenOwnModelAndConfig();
    givenEndpoint('InService', PREVIOUS);
    const result = await rollbackStep(state, now);
    expect(result).toMatchObject({ complete: true });
    expect(result.actions[0]).toBe(`endpoint recommender still serves its previous config ${PREVIOUS}`);
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  it('under onFailure keep still restores the serving endpoint but keeps the new config and model', async () => {
    const state = failedState('update', { config: resolvedConfig({ onFailure: 'keep' }) });
    givenOwnModelAndConfig();
    givenEndpoint('InService', PREVIOUS);
    const result = await rollbackStep({ ...state, rollback: { complete: false, actions: [], kept: [], nextPollSeconds: 30, startedAt: now.toISOString(), polls: 1, restoreRequested: true } as RollbackProgress }, now);
    expect(result).toMatchObject({ complete: true, kept: [`endpoint config ${state.names.endpointConfig}`, `model ${state.names.model}`] });
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteModelCommand);

    givenEndpoint('InService', state.names.endpointConfig);
    await rollbackStep(state, now);
    expect(sagemakerMock).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointConfigName: PREVIOUS });
  });

  it('finds the previous config on the tag DeployEndpoint stamps when the deployment result was lost', async () => {
    const state = failedState(undefined);
    givenOwnModelAndConfig();
    sagemakerMock.on(ListTagsCommand, { ResourceArn: CONFIG_ARN }).resolves({ Tags: [{ Key: 'aep:execution', Value: EXECUTION.id }, { Key: PREVIOUS_CONFIG_TAG, Value: PREVIOUS }] });
    givenEndpoint('InService', state.names.endpointConfig);
    await rollbackStep(state, now);
    expect(sagemakerMock).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointConfigName: PREVIOUS });
  });

  it('is RollbackFailed with the command to run when SageMaker refuses the restore', async () => {
    const state = failedState('update');
    givenOwnModelAndConfig();
    givenEndpoint('InService', state.names.endpointConfig);
    sagemakerMock.on(UpdateEndpointCommand).rejects(awsError('ResourceLimitExceeded', 'The account-level service limit for ml.m5.large is 2 instances'));
    const error = await rollbackStep(state, now).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'RollbackFailed' });
    expect((error as Error).message).toContain(`Rollback could not restore endpoint recommender (InService) to config ${PREVIOUS} (ResourceLimitExceeded:`);
    expect((error as Error).message).toContain(`By hand: aws sagemaker update-endpoint --endpoint-name recommender --endpoint-config-name ${PREVIOUS}`);
  });

  it('is RollbackFailed when the accepted restore ended back on this run\'s config', async () => {
    const state = failedState('update');
    givenOwnModelAndConfig();
    sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN, EndpointStatus: 'InService', EndpointConfigName: state.names.endpointConfig, FailureReason: 'capacity' });
    sagemakerMock.on(ListTagsCommand, { ResourceArn: ENDPOINT_ARN }).resolves(tagged(OTHER_EXECUTION_ARN));
    const progress: RollbackProgress = { complete: false, actions: [], kept: [], nextPollSeconds: 30, startedAt: now.toISOString(), polls: 3, restoreRequested: true };
    await expect(rollbackStep(withProgress(state, progress), now)).rejects.toThrow(/the update ended InService on .* \(FailureReason: capacity\)/);
  });

  it('is RollbackFailed when no previous config is known for an endpoint on this run\'s config', async () => {
    const state = failedState(undefined);
    givenOwnModelAndConfig();
    givenEndpoint('InService', state.names.endpointConfig);
    await expect(rollbackStep(state, now)).rejects.toThrow(/no previous config is recorded/);
  });

  it('gives up with RollbackFailed after timeouts.endpointSeconds', async () => {
    const state = failedState('update');
    const progress: RollbackProgress = { complete: false, actions: ['waiting for endpoint recommender (Updating)'], kept: [], nextPollSeconds: 30, startedAt: '2024-12-31T23:59:59.000Z', polls: 100 };
    const error = await rollbackStep(withProgress(state, progress), now).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'RollbackFailed' });
    expect((error as Error).message).toContain('finish within timeouts.endpointSeconds (3600 s)');
    expect((error as Error).message).toContain(`aws sagemaker update-endpoint --endpoint-name recommender --endpoint-config-name ${PREVIOUS}`);
    expect(sagemakerMock).not.toHaveReceivedCommand(DescribeEndpointCommand);
  });

  it('retries throttling', async () => {
    sagemakerMock.on(DescribeEndpointCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(handler(failedState('update'))).rejects.toMatchObject({ name: 'TransientError' });
  });
});

describe('Rollback of an in-place release to an endpoint that was at 0 instances', () => {
  const target = { ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/recommender/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;
  const atZero = (scaleInSuspended: boolean) =>
    failedState(undefined, { deployment: { action: 'update', strategy: 'in-place', previousConfigName: PREVIOUS, scaledToZero: { scaleInSuspended }, startedAt: now.toISOString() } });
  function givenEndpointWith(status: string, configName: string, instances: number) {
    givenEndpoint(status, configName);
    sagemakerMock.on(DescribeEndpointCommand).resolves({
      EndpointName: 'recommender',
      EndpointArn: ENDPOINT_ARN,
      EndpointStatus: status as never,
      EndpointConfigName: configName,
      ProductionVariants: [{ VariantName: 'AllTraffic', DesiredInstanceCount: instances, CurrentInstanceCount: instances }],
    });
  }

  it('back to 0 first, then the previous config is restored at 0 (no instance of it started), then scale-in resumes', async () => {
    const state = atZero(true);
    givenOwnModelAndConfig();
    givenEndpointWith('InService', state.names.endpointConfig, 1);
    const first = await rollbackStep(state, now);
    expect(sagemakerMock).toHaveReceivedCommandWith(UpdateEndpointWeightsAndCapacitiesCommand, {
      EndpointName: 'recommender',
      DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 0 }],
    });
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(first).toMatchObject({ complete: false, actions: ['scaled endpoint recommender back to 0 instances'] });

    givenEndpointWith('InService', state.names.endpointConfig, 0);
    const second = await rollbackStep(withProgress(state, first), now);
    expect(sagemakerMock).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointConfigName: PREVIOUS, RetainAllVariantProperties: true });
    expect(second).toMatchObject({ complete: false, restoreRequested: true });
    expect(scalingMock).not.toHaveReceivedCommand(RegisterScalableTargetCommand);

    givenEndpointWith('InService', PREVIOUS, 0);
    const third = await rollbackStep(withProgress(state, second), now);
    expect(third.complete).toBe(true);
    expect(scalingMock).toHaveReceivedCommandWith(RegisterScalableTargetCommand, { ...target, SuspendedState: { DynamicScalingInSuspended: false } });
    expect(third.actions.at(-1)).toBe('resumed dynamic scale-in of endpoint/recommender/variant/AllTraffic');
    expect(sagemakerMock).toHaveReceivedCommandTimes(UpdateEndpointWeightsAndCapacitiesCommand, 1);
  });

  it('SageMaker rolled the update back itself: any instances go back to 0; scale-in found suspended stays suspended', async () => {
    const state = atZero(false);
    givenOwnModelAndConfig();
    givenEndpointWith('InService', PREVIOUS, 1);
    const first = await rollbackStep(state, now);
    expect(first.complete).toBe(false);
    givenEndpointWith('InService', PREVIOUS, 0);
    const second = await rollbackStep(withProgress(state, first), now);
    expect(second.complete).toBe(true);
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(scalingMock).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
  });

  it('DeployEndpoint failed after suspending scale-in ($.deployment never written): the tag on its config says to resume', async () => {
    const state = failedState(undefined, { config: resolvedConfig({ release: { ...resolvedConfig().release, strategy: 'in-place' } }) });
    givenOwnModelAndConfig();
    sagemakerMock.on(ListTagsCommand, { ResourceArn: CONFIG_ARN }).resolves({ Tags: [{ Key: 'aep:execution', Value: EXECUTION.id }, { Key: SCALED_TO_ZERO_TAG, Value: 'suspended-by-run' }] });
    givenEndpointWith('InService', PREVIOUS, 0);
    const result = await rollbackStep(state, now);
    expect(result.complete).toBe(true);
    expect(scalingMock).toHaveReceivedCommandWith(RegisterScalableTargetCommand, { SuspendedState: { DynamicScalingInSuspended: false } });
  });

  it('a refused resume is RollbackFailed with the command to run', async () => {
    const state = atZero(true);
    givenOwnModelAndConfig();
    givenEndpointWith('InService', PREVIOUS, 0);
    scalingMock.on(RegisterScalableTargetCommand).rejects(awsError('ValidationException', 'No scalable target registered'));
    const error = (await rollbackStep(state, now).catch((e: Error) => e)) as Error;
    expect(error).toMatchObject({ name: 'RollbackFailed' });
    expect(error.message).toContain('By hand: aws application-autoscaling register-scalable-target --service-namespace sagemaker --resource-id endpoint/recommender/variant/AllTraffic');
  });

  it('a candidate release never changes production capacity, even at 0', async () => {
    const state = failedState(undefined, { deployment: { action: 'update', strategy: 'candidate', candidateEndpointName: 'none', previousConfigName: PREVIOUS, scaledToZero: { scaleInSuspended: false }, startedAt: now.toISOString() } });
    givenOwnModelAndConfig();
    givenEndpointWith('InService', PREVIOUS, 1);
    await rollbackStep(state, now);
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
    expect(scalingMock).not.toHaveReceivedAnyCommand();
  });
});

describe('Rollback of a candidate release', () => {
  const CANDIDATE_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/candidate';
  const candidateState = (overrides: Partial<PipelineState> = {}) => {
    const base = failedState('update');
    return {
      ...base,
      deployment: { action: 'update' as const, strategy: 'candidate' as const, candidateEndpointName: base.names.candidate, previousConfigName: PREVIOUS, startedAt: now.toISOString() },
      ...overrides,
    };
  };
  const givenCandidate = (status: string, createdBy = EXECUTION.id) => {
    const name = pipelineState().names.candidate;
    sagemakerMock.on(DescribeEndpointCommand, { EndpointName: name }).resolves({ EndpointName: name, EndpointArn: CANDIDATE_ARN, EndpointStatus: status as never, EndpointConfigName: 'own' });
    sagemakerMock.on(ListTagsCommand, { ResourceArn: CANDIDATE_ARN }).resolves(tagged(createdBy));
  };
  const givenProduction = (configName: string) => {
    sagemakerMock.on(DescribeEndpointCommand, { EndpointName: 'recommender' }).resolves({ EndpointName: 'recommender', EndpointArn: ENDPOINT_ARN, EndpointStatus: 'InService', EndpointConfigName: configName });
    sagemakerMock.on(ListTagsCommand, { ResourceArn: ENDPOINT_ARN }).resolves(tagged(OTHER_EXECUTION_ARN));
  };

  it('gate failed: deletes the candidate and waits for it, never touching production', async () => {
    const state = candidateState();
    givenCandidate('InService');
    givenProduction(PREVIOUS);
    givenOwnModelAndConfig();
    const first = await rollbackStep(state, now);
    expect(first).toMatchObject({ complete: false, actions: [`deleted candidate endpoint ${state.names.candidate}`] });
    expect(sagemakerMock).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: state.names.candidate });
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointConfigCommand);

    sagemakerMock.on(DescribeEndpointCommand, { EndpointName: state.names.candidate }).rejects(notFound('endpoint'));
    const second = await rollbackStep(withProgress(state, first), now);
    expect(second).toMatchObject({
      complete: true,
      actions: [
        `deleted candidate endpoint ${state.names.candidate}`,
        `endpoint recommender still serves its previous config ${PREVIOUS}`,
        `deleted endpoint config ${state.names.endpointConfig}`,
        `deleted model ${state.names.model}`,
      ],
    });
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateEndpointCommand);
  });

  it('verification failed after promotion: production is restored to the previous config, capacity kept', async () => {
    const state = candidateState();
    sagemakerMock.on(DescribeEndpointCommand, { EndpointName: state.names.candidate }).rejects(notFound('endpoint'));
    givenProduction(state.names.endpointConfig);
    givenOwnModelAndConfig();
    const result = await rollbackStep(state, now);
    expect(result).toMatchObject({ complete: false, actions: [`restoring endpoint recommender to config ${PREVIOUS}`] });
    expect(sagemakerMock).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: 'recommender', EndpointConfigName: PREVIOUS, RetainAllVariantProperties: true });
  });

  it('onFailure keep: the candidate is kept, and said so', async () => {
    const state = candidateState({ config: { ...pipelineState().config, onFailure: 'keep' } });
    givenCandidate('InService');
    givenProduction(PREVIOUS);
    givenOwnModelAndConfig();
    const result = await rollbackStep(state, now);
    expect(result.complete).toBe(true);
    expect(result.kept).toEqual([`candidate endpoint ${state.names.candidate}`, `endpoint config ${state.names.endpointConfig}`, `model ${state.names.model}`]);
    expect(sagemakerMock).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  it('a candidate-named endpoint this execution did not create is left alone', async () => {
    const state = candidateState();
    givenCandidate('InService', OTHER_EXECUTION_ARN);
    givenProduction(PREVIOUS);
    givenOwnModelAndConfig();
    await rollbackStep(state, now);
    expect(sagemakerMock).not.toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: state.names.candidate });
  });
});
