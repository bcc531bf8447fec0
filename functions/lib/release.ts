import type { DeploymentConfig } from '@aws-sdk/client-sagemaker';
import type { ResolvedRelease, Routing } from './deployment-input';
import type { CaughtError, Exposure, PipelineState, ReleaseStrategy, SmokeResults } from './pipeline-state';

/**
 * What a release asks SageMaker for: the DeploymentConfig of UpdateEndpoint (promotion, in-place), built from the
 * `release` settings, and the facts the audit record and the deployment events report about it.
 */

/** Blue/green traffic routing, or a rolling update, with the alarms SageMaker rolls back on. */
export function deploymentConfig(routing: Routing, alarms: string[]): DeploymentConfig {
  const size = routing.size ? { Type: routing.size.type, Value: routing.size.value } : undefined;
  const rollback = alarms.length ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } } : {};
  const timeout = routing.maximumExecutionTimeoutSeconds;
  if (routing.type === 'ROLLING') {
    return {
      RollingUpdatePolicy: {
        MaximumBatchSize: size,
        WaitIntervalInSeconds: routing.waitIntervalSeconds ?? 0,
        ...(timeout ? { MaximumExecutionTimeoutInSeconds: timeout } : {}),
      },
      ...rollback,
    };
  }
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: {
        Type: routing.type,
        WaitIntervalInSeconds: routing.waitIntervalSeconds ?? 0,
        ...(routing.type === 'CANARY' ? { CanarySize: size } : {}),
        ...(routing.type === 'LINEAR' ? { LinearStepSize: size } : {}),
      },
      TerminationWaitInSeconds: routing.terminationWaitSeconds ?? 0,
      ...(timeout ? { MaximumExecutionTimeoutInSeconds: timeout } : {}),
    },
    ...rollback,
  };
}

/** One line for people: "CANARY 1 INSTANCE_COUNT, wait 60 s". */
export function describeRouting(routing: Routing): string {
  const size = routing.size ? ` ${routing.size.value} ${routing.size.type}` : '';
  return `${routing.type}${size}, wait ${routing.waitIntervalSeconds ?? 0} s`;
}

/** The alarms the pipeline creates for an endpoint when release.createAlarms is set (named so IAM can scope them). */
export function pipelineAlarmNames(endpointName: string): { invocationFailures: string; oldestRequestAge: string } {
  return {
    invocationFailures: `${endpointName}-aep-invocation-failures`,
    oldestRequestAge: `${endpointName}-aep-oldest-request-age`,
  };
}

/** The alarms SageMaker watches for this release: the user's, then the pipeline's own when asked. */
export function watchedAlarms(release: ResolvedRelease, endpointName: string): string[] {
  const own = release.createAlarms ? Object.values(pipelineAlarmNames(endpointName)) : [];
  return [...new Set([...release.alarms, ...own])].slice(0, 10);
}

/**
 * Whether production answered with the new model before the gate's verdict. Candidate: never — production changes
 * only after every case passed. In-place: yes, from the moment UpdateEndpoint moved it. A new endpoint: it is
 * production, tested directly (nothing was serving before).
 */
export function exposure(state: Pick<PipelineState, 'deployment'>): Exposure {
  const strategy = state.deployment?.strategy;
  if (strategy === 'candidate') {
    return { productionServedBeforeVerdict: false, reason: 'candidate: the gate ran on a separate endpoint; production moved only after it passed' };
  }
  if (strategy === 'in-place') {
    return { productionServedBeforeVerdict: true, reason: 'in-place: production was updated before the smoke tests ran' };
  }
  if (strategy === 'new') {
    return { productionServedBeforeVerdict: true, reason: 'new endpoint: created and tested directly; nothing was serving before' };
  }
  return { productionServedBeforeVerdict: false, reason: 'nothing was deployed' };
}

/** How DescribeEndpoint words a SageMaker auto-rollback (an update it reverted): the audit record looks for it. */
export const AUTO_ROLLBACK_PHRASE = 'SageMaker rolled endpoint';

/** The release as the audit record and the deployment events tell it. */
export interface ReleaseFacts {
  strategy?: ReleaseStrategy;
  candidateEndpointName?: string;
  adopted?: boolean;
  promotion?: {
    startedAt: string;
    /** When the verification (or Finalize) found production serving the new config; absent if it never did. */
    endedAt?: string;
    routing: string;
    deploymentConfig: Record<string, unknown>;
    candidateDeleted: boolean;
  };
  /** The alarms SageMaker watched while moving production (promotion or in-place). */
  alarmsWatched: string[];
  /** SageMaker reverted the update (an alarm in ALARM, or the new fleet failed): its reason. */
  autoRollback?: { reason: string };
  exposure: Exposure;
  /** The cases run against production after promotion. */
  verify?: SmokeResults;
  /** The verification after promotion was not run, and why (production at 0 instances). */
  verifySkipped?: { reason: string };
  /** Production had 0 instances when the run began: how the release tested it without a scale-out and left it at 0. */
  scaledToZero?: { how: string; scaleInSuspended: boolean };
}

export function releaseFacts(state: Partial<PipelineState>, error?: CaughtError): ReleaseFacts {
  const { deployment, promotion, config } = state;
  // RecordFailure reads the state leniently: whatever is missing, the facts are still told
  const inPlaceAlarms = deployment?.strategy === 'in-place' && config?.release ? watchedAlarms(config.release, config.endpointName) : [];
  const promotedAndReady = promotion && state.endpoint?.phase === 'verify' && state.endpoint.ready;
  const verified = promotion && state.smoke?.cases.some((c) => c.phase === 'verify');
  const rolledBack = error?.Error === 'EndpointUpdateFailed' && error.Cause.includes(AUTO_ROLLBACK_PHRASE);
  return {
    ...(deployment?.strategy ? { strategy: deployment.strategy } : {}),
    ...(deployment?.candidateEndpointName ? { candidateEndpointName: deployment.candidateEndpointName } : {}),
    ...(deployment?.adopted ? { adopted: true } : {}),
    ...(promotion
      ? {
          promotion: {
            startedAt: promotion.startedAt,
            ...(promotedAndReady ? { endedAt: state.endpoint!.checkedAt } : {}),
            routing: config?.release ? describeRouting(config.release.routing) : '',
            deploymentConfig: promotion.deploymentConfig,
            candidateDeleted: promotion.candidateDeleted,
          },
        }
      : {}),
    alarmsWatched: promotion?.alarms ?? inPlaceAlarms,
    ...(rolledBack ? { autoRollback: { reason: error.Cause } } : {}),
    exposure: exposure(state),
    ...(verified ? { verify: state.smoke } : {}),
    ...(promotion && state.endpoint?.verifySkipped ? { verifySkipped: { reason: state.endpoint.verifySkipped } } : {}),
    ...(deployment?.scaledToZero ? { scaledToZero: { how: zeroHandling(deployment.strategy), scaleInSuspended: deployment.scaledToZero.scaleInSuspended } } : {}),
  };
}

function zeroHandling(strategy: ReleaseStrategy): string {
  return strategy === 'in-place'
    ? "in-place at 0 instances: the update took the new config's instance count for the smoke tests (dynamic scale-in suspended meanwhile); set back to 0 when the run ended"
    : 'candidate at 0 instances: the gate ran on the candidate; promotion kept 0 instances (RetainAllVariantProperties); no verification at 0 instances (see verifySkipped)';
}

/** The gate's smoke results: kept by PromoteEndpoint when the verification overwrote $.smoke. */
export function gateResults(state: Partial<PipelineState>): SmokeResults | undefined {
  return state.promotion ? state.promotion.gate : state.smoke;
}
