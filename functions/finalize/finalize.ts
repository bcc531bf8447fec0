import { auditKey, writeAuditRecord } from '../lib/audit';
import { eventRelease, publishDeploymentEvent } from '../lib/deployment-events';
import type { PipelineEnvironment } from '../lib/environment';
import { releaseLock } from '../lib/lock';
import { logger } from '../lib/logger';
import type { DeploymentResult, PipelineState } from '../lib/pipeline-state';
import { describeEndpointOrUndefined } from '../lib/sagemaker-resources';
import { releaseFacts } from '../lib/release';
import { toS3Uri } from '../lib/s3-uri';
import type { DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { VARIANT_NAME } from '../create-endpoint-config/create-endpoint-config';
import { describeError, isTransientAwsError } from '../lib/errors';
import { SCALABLE_DIMENSION, scalableResourceId } from '../lib/autoscaling-names';
import { raisedFromZero, resumeScaleIn, scaleBackToZero } from '../lib/scaled-to-zero';
import { configureAutoscalingOrWarn, type AutoscalingResult } from './autoscaling';
import { deleteSupersededResources } from './superseded';

/**
 * Finalize: the new model is live and passed its smoke tests. Clean up superseded models and configs, set up
 * autoscaling if asked, write the audit record, announce the deployment, release the lock. Every part is
 * idempotent, so a retried Finalize repeats it to the same end.
 */
export async function finalize(state: PipelineState, env: PipelineEnvironment, input?: unknown): Promise<DeploymentResult> {
  const { names, config, execution } = state;
  const { model, endpointConfig, deployment } = requireDeployed(state);

  const endpoint = await describeEndpointOrUndefined(names.endpoint);
  const cleanup = await deleteSupersededResources({
    endpointName: names.endpoint,
    currentConfigName: endpointConfig.name,
    currentModelName: model.name,
    previousConfigName: deployment.previousConfigName,
    retainPrevious: config.retainPrevious,
    startedAt: new Date(execution.startTime),
  });
  const zero = endpoint ? await backToZero(state, endpoint) : { actions: [], warnings: [] };
  const scaling: { result?: AutoscalingResult; warning?: string } = config.autoscaling
    ? await configureAutoscalingOrWarn(names.endpoint, config.autoscaling)
    : {};

  const release = releaseFacts(state);
  const result: DeploymentResult = {
    endpointName: names.endpoint,
    ...(endpoint?.EndpointArn ? { endpointArn: endpoint.EndpointArn } : {}),
    endpointConfigName: endpointConfig.name,
    modelName: model.name,
    action: deployment.action,
    strategy: deployment.strategy,
    ...(deployment.candidateEndpointName ? { candidateEndpointName: deployment.candidateEndpointName } : {}),
    ...(deployment.previousConfigName ? { previousConfigName: deployment.previousConfigName } : {}),
    ...(deployment.adopted ? { adopted: true } : {}),
    ...(release.promotion
      ? {
          promotion: {
            startedAt: release.promotion.startedAt,
            endedAt: release.promotion.endedAt ?? new Date().toISOString(),
            routing: release.promotion.routing,
            alarms: release.alarmsWatched,
          },
        }
      : {}),
    exposure: release.exposure,
    verdict: 'passed',
    cases: state.smoke?.cases ?? [],
    auditUri: toS3Uri({ bucket: env.artifactsBucket, key: auditKey(names.endpoint, execution.name) }),
    deletedResources: cleanup.deleted,
    ...(scaling.result
      ? {
          autoscaling: {
            resourceId: scaling.result.resourceId,
            minCapacity: scaling.result.minCapacity,
            maxCapacity: scaling.result.maxCapacity,
          },
        }
      : {}),
    ...(raisedFromZero(deployment) ? { scaledToZero: { actions: zero.actions } } : {}),
  };

  const warnings = [...cleanup.warnings, ...zero.warnings, ...(scaling.warning ? [scaling.warning] : []), ...noCasesWarning(state)];
  await writeAuditRecord({
    bucket: env.artifactsBucket,
    pipelineId: env.pipelineId,
    verdict: 'passed',
    execution,
    input,
    endpointName: names.endpoint,
    state,
    finalize: {
      result,
      ...(scaling.result ? { autoscaling: scaling.result } : {}),
      ...(warnings.length ? { warnings } : {}),
    },
  });
  await publishDeploymentEvent(env.deploymentEventsTopicArn, {
    type: 'DeploymentSucceeded',
    endpointName: names.endpoint,
    execution: { arn: execution.id, name: execution.name },
    model: model.name,
    config: endpointConfig.name,
    verdict: 'passed',
    auditUri: result.auditUri,
    release: eventRelease(release),
  });
  // last: while we hold the lock no other run of this endpoint creates anything, so a retried Finalize is safe
  const released = await releaseLock({ bucket: env.artifactsBucket, endpointName: names.endpoint, executionArn: execution.id });
  if (!released) logger.warn('the lock was not held by this execution at Finalize (released already, or taken over)');
  return result;
}

/**
 * In-place at 0 instances: the instances raised for the smoke tests go back to 0 and dynamic scale-in resumes. The
 * release itself passed, so a refusal is a warning that says what to run by hand.
 */
async function backToZero(state: PipelineState, endpoint: DescribeEndpointCommandOutput): Promise<{ actions: string[]; warnings: string[] }> {
  const zero = raisedFromZero(state.deployment);
  const done: { actions: string[]; warnings: string[] } = { actions: [], warnings: [] };
  if (!zero) return done;
  const name = state.names.endpoint;
  const attempt = async (what: string, byHand: string, change: () => Promise<string | undefined>) => {
    try {
      const action = await change();
      if (action) done.actions.push(action);
    } catch (error) {
      if (isTransientAwsError(error)) throw error;
      done.warnings.push(`could not ${what} of endpoint ${name}: ${describeError(error)}; by hand: ${byHand}`);
      logger.warn(`could not ${what}`, { endpoint: name, error: describeError(error) });
    }
  };
  await attempt(
    'set the instance count back to 0',
    `aws sagemaker update-endpoint-weights-and-capacities --endpoint-name ${name} --desired-weights-and-capacities VariantName=${VARIANT_NAME},DesiredInstanceCount=0`,
    () => scaleBackToZero(endpoint),
  );
  await attempt(
    'resume dynamic scale-in',
    `aws application-autoscaling register-scalable-target --service-namespace sagemaker --resource-id ${scalableResourceId(name)} --scalable-dimension ${SCALABLE_DIMENSION} --suspended-state DynamicScalingInSuspended=false`,
    () => resumeScaleIn(name, zero),
  );
  return done;
}

/** A deployment without smoke cases succeeds (smokeTests defaults to []), but the record says nothing gated it. */
function noCasesWarning(state: PipelineState): string[] {
  return state.smoke?.noCases ? ['no smoke cases: the deployment went live without a gate (set smokeTests to gate it)'] : [];
}

/** Finalize follows a successful deployment; a state without one is a workflow definition bug. */
function requireDeployed(state: PipelineState) {
  const { model, endpointConfig, deployment } = state;
  if (!model || !endpointConfig || !deployment) {
    const missing = Object.entries({ model, endpointConfig, deployment })
      .filter(([, value]) => !value)
      .map(([key]) => `$.${key}`);
    throw new Error(`Finalize reached without ${missing.join(', ')} in the state (a workflow definition bug)`);
  }
  return { model, endpointConfig, deployment };
}
