import {
  AddTagsCommand,
  CreateEndpointCommand,
  UpdateEndpointCommand,
  type DeploymentConfig,
  type DescribeEndpointCommandOutput,
  type VariantPropertyType,
} from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../lib/clients';
import type { PipelineEnvironment } from '../lib/environment';
import { DeploymentInProgress, EndpointUpdateFailed, isTransientAwsError, PipelineError } from '../lib/errors';
import { logger } from '../lib/logger';
import type { DeploymentState, PipelineState } from '../lib/pipeline-state';
import { checkOwnership, tagAdopted } from '../lib/ownership';
import { deploymentConfig, watchedAlarms } from '../lib/release';
import {
  asCreationFailure,
  describeEndpointOrUndefined,
  isSageMakerAlreadyExists,
  pipelineTags,
  resourceTags,
} from '../lib/sagemaker-resources';
import {
  fromZeroTag,
  isScaledToZero,
  isScaleInActive,
  SCALED_TO_ZERO_TAG,
  setScaleInSuspended,
  zeroTagValue,
} from '../lib/scaled-to-zero';
import type { ScaledToZero } from '../lib/pipeline-state';
import { createCandidate } from './candidate';

/**
 * Recorded on this run's endpoint config before UpdateEndpoint, so a retried or redriven DeployEndpoint that finds
 * the endpoint already moving to our config still knows which config Rollback must restore.
 */
export const PREVIOUS_CONFIG_TAG = 'aep:previous-config';

/** Statuses from which SageMaker cannot UpdateEndpoint; only deleting the endpoint gets it back. */
const BROKEN = new Set(['Failed', 'OutOfService', 'UpdateRollbackFailed']);

/**
 * DeployEndpoint: a new endpoint is created and tested directly; an existing one — only if it is ours, or adopted —
 * gets a candidate endpoint (the default: production is untouched until the gate passes) or, with strategy
 * in-place, is updated right away, keeping the capacity autoscaling set and with SageMaker's deployment guardrails.
 */
export async function deployEndpoint(state: PipelineState, env: PipelineEnvironment, now: Date): Promise<DeploymentState> {
  const startedAt = state.deployment?.startedAt ?? now.toISOString();
  const endpoint = await describeEndpointOrUndefined(state.names.endpoint);
  if (!endpoint) return createEndpoint(state, env, startedAt);
  // a retried or redriven step: the endpoint is already ours and on (or moving to) this run's config
  if (isMovingToOrOn(endpoint, state.names.endpointConfig)) return resumed(state, endpoint, startedAt);
  const ownership = await checkOwnership({ endpoint, pipelineId: env.pipelineId, adopt: state.config.adopt });
  if (endpoint.EndpointStatus !== 'InService') throw notDeployable(state, endpoint);
  if (ownership.adopt) await tagAdopted(endpoint.EndpointArn!, env.pipelineId, state.names.endpoint);
  const adopted = ownership.adopt ? { adopted: true } : {};
  if (state.config.release.strategy === 'in-place') return { ...(await updateEndpoint(state, endpoint, startedAt)), ...adopted };
  await createCandidate(state, env);
  return {
    action: 'update',
    strategy: 'candidate',
    candidateEndpointName: state.names.candidate,
    previousConfigName: endpoint.EndpointConfigName,
    ...adopted,
    // the candidate has instances of its own; promotion keeps production's 0 (RetainAllVariantProperties)
    ...(isScaledToZero(endpoint) ? { scaledToZero: { scaleInSuspended: false } } : {}),
    startedAt,
  };
}

async function createEndpoint(state: PipelineState, env: PipelineEnvironment, startedAt: string): Promise<DeploymentState> {
  const { names, execution } = state;
  try {
    await sagemaker().send(
      new CreateEndpointCommand({
        EndpointName: names.endpoint,
        EndpointConfigName: names.endpointConfig,
        Tags: pipelineTags({ pipelineId: env.pipelineId, executionArn: execution.id, endpointName: names.endpoint }),
      }),
    );
  } catch (error) {
    if (!isSageMakerAlreadyExists(error)) throw asCreationFailure(error, `Creating SageMaker endpoint ${names.endpoint}`);
    // created between our describe and create: by a duplicate of this step (then it is on our config) or by someone else
    const endpoint = await describeEndpointOrUndefined(names.endpoint);
    if (endpoint && isMovingToOrOn(endpoint, names.endpointConfig)) return resumed(state, endpoint, startedAt);
    throw new DeploymentInProgress(
      `Endpoint ${names.endpoint} was created by someone else while this run was creating it. ` +
        `Check who deploys it outside the pipeline, then redrive the execution.`,
    );
  }
  return { action: 'create', strategy: 'new', startedAt };
}

async function updateEndpoint(
  state: PipelineState,
  endpoint: DescribeEndpointCommandOutput,
  startedAt: string,
): Promise<DeploymentState> {
  const { names } = state;
  const previousConfigName = endpoint.EndpointConfigName;
  // a retry keeps what the first attempt recorded (it may have suspended scale-in already)
  const zero = isScaledToZero(endpoint)
    ? ((await recordedZero(state)) ?? { scaleInSuspended: await isScaleInActive(names.endpoint) })
    : undefined;
  const tags = [
    ...(previousConfigName ? [{ Key: PREVIOUS_CONFIG_TAG, Value: previousConfigName }] : []),
    ...(zero ? [{ Key: SCALED_TO_ZERO_TAG, Value: zeroTagValue(zero) }] : []),
  ];
  if (tags.length && state.endpointConfig?.arn) {
    await sagemaker().send(new AddTagsCommand({ ResourceArn: state.endpointConfig.arn, Tags: tags }));
  }
  // the still-firing scale-in alarm would take the test's instance away: suspended until Finalize or Rollback
  if (zero?.scaleInSuspended) await setScaleInSuspended(names.endpoint, true);
  const config = deploymentConfig(state.config.release.routing, watchedAlarms(state.config.release, names.endpoint));
  // at 0 the smoke tests need instances: the new config's count, not the 0 production runs at
  await updateKeepingCapacity(names.endpoint, names.endpointConfig, config, zero ? ['DesiredInstanceCount'] : []);
  logger.info('updating endpoint in place', { endpoint: names.endpoint, from: previousConfigName, to: names.endpointConfig, scaledToZero: zero });
  return {
    action: 'update',
    strategy: 'in-place',
    previousConfigName,
    deploymentConfig: config as Record<string, unknown>,
    ...(zero ? { scaledToZero: zero } : {}),
    startedAt,
  };
}

/** A retried or redriven step: the endpoint already serves (or is moving to) our config. */
async function resumed(
  state: PipelineState,
  endpoint: DescribeEndpointCommandOutput,
  startedAt: string,
): Promise<DeploymentState> {
  const current = endpoint.EndpointConfigName;
  const previousConfigName =
    state.deployment?.previousConfigName ??
    (current && current !== state.names.endpointConfig ? current : await taggedOnOwnConfig(state, PREVIOUS_CONFIG_TAG));
  // a redrive has $.deployment; a retried step reads what it recorded before UpdateEndpoint
  const zero = !previousConfigName ? undefined : state.deployment ? state.deployment.scaledToZero : await recordedZero(state);
  logger.info('endpoint already deploying this run’s config; carrying on', { status: endpoint.EndpointStatus });
  return previousConfigName
    ? { action: 'update', strategy: 'in-place', previousConfigName, ...(zero ? { scaledToZero: zero } : {}), startedAt }
    : { action: 'create', strategy: 'new', startedAt };
}

async function taggedOnOwnConfig(state: PipelineState, key: string): Promise<string | undefined> {
  if (!state.endpointConfig?.arn) return undefined;
  return (await resourceTags(state.endpointConfig.arn))[key] || undefined;
}

/** What an earlier attempt of this run recorded about production at 0 (see SCALED_TO_ZERO_TAG). */
async function recordedZero(state: PipelineState): Promise<ScaledToZero | undefined> {
  return fromZeroTag(await taggedOnOwnConfig(state, SCALED_TO_ZERO_TAG));
}

/** SageMaker shows a config being rolled out under PendingDeploymentSummary until the update completes. */
export function isMovingToOrOn(endpoint: DescribeEndpointCommandOutput, configName: string): boolean {
  return (
    endpoint.EndpointConfigName === configName || endpoint.PendingDeploymentSummary?.EndpointConfigName === configName
  );
}

function notDeployable(state: PipelineState, endpoint: DescribeEndpointCommandOutput): PipelineError {
  const name = state.names.endpoint;
  const status = endpoint.EndpointStatus ?? 'unknown';
  if (BROKEN.has(status)) {
    return new EndpointUpdateFailed(
      `Endpoint ${name} is ${status}` +
        (endpoint.FailureReason ? ` (FailureReason: ${endpoint.FailureReason})` : '') +
        `; SageMaker cannot update it. Delete it (aws sagemaker delete-endpoint --endpoint-name ${name}) ` +
        `and start the deployment again: it will be created afresh.`,
    );
  }
  return new DeploymentInProgress(
    `Endpoint ${name} is ${status} on config ${endpoint.EndpointConfigName ?? '(none)'}, a change this run did not make. ` +
      `The pipeline's lock should prevent this, so something outside the pipeline is changing the endpoint ` +
      `(or SageMaker maintenance: SystemUpdating). Wait for it to finish, then start the deployment again.`,
  );
}

export function asUpdateFailure(error: unknown, endpointName: string): Error {
  if (error instanceof PipelineError || isTransientAwsError(error) || !(error instanceof Error)) return error as Error;
  if (/in-progress|in progress|is not in service/i.test(error.message)) {
    return new DeploymentInProgress(
      `UpdateEndpoint ${endpointName} was refused because a change is in progress: ${error.message}. ` +
        `Wait for it to finish, then redrive the execution.`,
    );
  }
  return new EndpointUpdateFailed(`UpdateEndpoint ${endpointName} failed: ${error.name}: ${error.message}`);
}

/**
 * UpdateEndpoint to `configName` with SageMaker's deployment guardrails, keeping the instance count autoscaling has
 * set (RetainAllVariantProperties) instead of resetting it to the config's initial count, except the properties
 * `fromConfig` names (ExcludeRetainedVariantProperties: an endpoint at 0 takes the config's count). Refusals are
 * EndpointUpdateFailed (or DeploymentInProgress / transient), as asUpdateFailure says.
 */
export async function updateKeepingCapacity(
  endpointName: string,
  configName: string,
  config: DeploymentConfig | undefined,
  fromConfig: VariantPropertyType[] = [],
): Promise<void> {
  try {
    await sagemaker().send(
      new UpdateEndpointCommand({
        EndpointName: endpointName,
        EndpointConfigName: configName,
        RetainAllVariantProperties: true,
        ...(fromConfig.length ? { ExcludeRetainedVariantProperties: fromConfig.map((VariantPropertyType) => ({ VariantPropertyType })) } : {}),
        DeploymentConfig: config,
      }),
    );
  } catch (error) {
    throw asUpdateFailure(error, endpointName);
  }
}
