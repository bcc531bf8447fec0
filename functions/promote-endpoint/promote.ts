import { AddTagsCommand, DeleteEndpointCommand } from '@aws-sdk/client-sagemaker';
import { isMovingToOrOn, PREVIOUS_CONFIG_TAG, updateKeepingCapacity } from '../deploy-endpoint/deploy-endpoint';
import { sagemaker } from '../lib/clients';
import { DeploymentInProgress, describeError, EndpointUpdateFailed, isSageMakerNotFound, isTransientAwsError } from '../lib/errors';
import { logger } from '../lib/logger';
import { putPipelineAlarms } from '../lib/pipeline-alarms';
import type { DeploymentState, PipelineState, PromotionState } from '../lib/pipeline-state';
import { deploymentConfig, watchedAlarms } from '../lib/release';
import { describeEndpointOrUndefined, isCreatedBy, resourceTags } from '../lib/sagemaker-resources';

/**
 * PromoteEndpoint: every smoke case passed on the candidate, so production is updated to the very same endpoint
 * config, through SageMaker's deployment guardrails (blue/green or rolling, with the alarms that roll it back) and
 * keeping the capacity autoscaling set. The candidate is deleted: it is not needed once production moves.
 * A retry finds production already moving to our config and only finishes what is left.
 */
export async function promoteEndpoint(state: PipelineState, now: Date): Promise<PromotionState> {
  const deployment = requireCandidate(state);
  const { names, config } = state;
  const production = await describeEndpointOrUndefined(names.endpoint);
  if (!production) {
    throw new EndpointUpdateFailed(`Endpoint ${names.endpoint} no longer exists: it was deleted while its candidate was tested. Nothing was promoted.`);
  }
  const alarms = watchedAlarms(config.release, names.endpoint);
  if (config.release.createAlarms) await putPipelineAlarms(names.endpoint, config.async.invocationTimeoutSeconds);
  const guardrails = deploymentConfig(config.release.routing, alarms);

  if (!isMovingToOrOn(production, names.endpointConfig)) {
    checkUnchanged(state, deployment, production.EndpointStatus, production.EndpointConfigName);
    if (state.endpointConfig?.arn && deployment.previousConfigName) {
      // a redriven Rollback still knows what to restore
      await sagemaker().send(
        new AddTagsCommand({ ResourceArn: state.endpointConfig.arn, Tags: [{ Key: PREVIOUS_CONFIG_TAG, Value: deployment.previousConfigName }] }),
      );
    }
    await updateKeepingCapacity(names.endpoint, names.endpointConfig, guardrails);
    logger.info('promoting', { endpoint: names.endpoint, from: deployment.previousConfigName, to: names.endpointConfig, alarms });
  }
  const candidateDeleted = await deleteCandidate(deployment.candidateEndpointName!, state.execution.id);
  return {
    endpointName: names.endpoint,
    ...(deployment.previousConfigName ? { fromConfigName: deployment.previousConfigName } : {}),
    toConfigName: names.endpointConfig,
    deploymentConfig: guardrails as Record<string, unknown>,
    alarms,
    candidateDeleted,
    ...(state.smoke ? { gate: state.smoke } : {}),
    startedAt: now.toISOString(),
  };
}

function requireCandidate(state: PipelineState): DeploymentState {
  const deployment = state.deployment;
  if (deployment?.strategy !== 'candidate' || !deployment.candidateEndpointName) {
    throw new Error('PromoteEndpoint ran without a candidate deployment in $.deployment (a workflow definition bug)');
  }
  return deployment;
}

/** Production must still be what the candidate was compared against: promotion never overrides someone's change. */
function checkUnchanged(state: PipelineState, deployment: DeploymentState, status: string | undefined, configName: string | undefined): void {
  const name = state.names.endpoint;
  if (status !== 'InService') {
    throw new DeploymentInProgress(
      `Endpoint ${name} is ${status ?? 'unknown'} on config ${configName ?? '(none)'}, a change this run did not make; ` +
        `the candidate passed but production was not promoted. Wait for the change to finish, then deploy again.`,
    );
  }
  if (configName !== deployment.previousConfigName) {
    throw new EndpointUpdateFailed(
      `Endpoint ${name} moved from config ${deployment.previousConfigName} to ${configName} while the candidate was tested; ` +
        `something outside the pipeline changed it. Production was not promoted; deploy again to release on top of the change.`,
    );
  }
}

/** Deleted if this execution created it; a refusal is logged, not thrown: production is already moving. */
async function deleteCandidate(name: string, executionArn: string): Promise<boolean> {
  const candidate = await describeEndpointOrUndefined(name);
  if (!candidate) return true;
  if (candidate.EndpointStatus === 'Deleting') return true;
  if (!candidate.EndpointArn || !isCreatedBy(await resourceTags(candidate.EndpointArn), executionArn)) return false;
  try {
    await sagemaker().send(new DeleteEndpointCommand({ EndpointName: name }));
    return true;
  } catch (error) {
    if (isSageMakerNotFound(error)) return true;
    if (isTransientAwsError(error)) throw error;
    logger.warn('could not delete the candidate endpoint', { endpoint: name, error: describeError(error) });
    return false;
  }
}
