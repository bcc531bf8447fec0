import type { DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { EndpointCreationFailed, EndpointTimeout, EndpointUpdateFailed, type PipelineError } from '../lib/errors';
import type { SmokeTest } from '../lib/deployment-input';
import type { DeploymentState, EndpointPoll, PipelineState, TestPhase } from '../lib/pipeline-state';
import { nextPollSeconds, READINESS_POLL_MAX_FACTOR } from '../lib/poll-schedule';
import { describeEndpointOrUndefined } from '../lib/sagemaker-resources';
import { isScaledToZero } from '../lib/scaled-to-zero';

/** Statuses that still lead somewhere: keep polling. RollingBack ends InService on the old config (handled below). */
const IN_PROGRESS = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

/**
 * One poll of the WaitForEndpoint loop: ready, not yet (with the next wait), or a named failure. The loop serves
 * every wait of a run: the endpoint DeployEndpoint deployed (production, or the candidate) for the gate, then
 * production after PromoteEndpoint for the verification.
 */
export async function describeEndpoint(state: PipelineState, now: Date): Promise<EndpointPoll> {
  const deployment = requireDeployment(state);
  const target = waitTarget(state, deployment);
  const name = target.endpointName;
  const ours = state.names.endpointConfig;
  const polls = state.endpoint?.phase === target.phase ? (state.endpoint.polls ?? 0) + 1 : 1;
  const endpoint = await describeEndpointOrUndefined(name);
  if (!endpoint) throw failure(deployment, `Endpoint ${name} no longer exists: it was deleted while this run was deploying it.`);

  const status = endpoint.EndpointStatus ?? 'unknown';
  const poll = {
    endpointName: name,
    phase: target.phase,
    status,
    configName: endpoint.EndpointConfigName,
    failureReason: endpoint.FailureReason,
    polls,
    checkedAt: now.toISOString(),
  };
  if (status === 'InService' && endpoint.EndpointConfigName === ours) {
    const cases = casesFor(state, target.phase);
    const skipped = target.phase === 'verify' && cases.length > 0 && isScaledToZero(endpoint) ? verifySkipped(state, deployment) : undefined;
    if (skipped) return { ...poll, ready: true, cases: [], verifySkipped: skipped, nextPollSeconds: 0 };
    return { ...poll, ready: true, cases, nextPollSeconds: 0 };
  }
  if (status === 'InService') throw notOnOurConfig(state, deployment, endpoint);
  if (!IN_PROGRESS.has(status)) {
    throw failure(
      deployment,
      `${describeTarget(state, name)} is ${status}` +
        (endpoint.FailureReason ? `: ${endpoint.FailureReason}` : ' (SageMaker gave no FailureReason)') +
        `. Check the model container's logs (CloudWatch log group /aws/sagemaker/Endpoints/${name}); ` +
        `the failure path then handled the endpoint as onFailure says (see Rollback in the execution history).`,
    );
  }

  const limitSeconds = state.config.timeouts.endpointSeconds;
  const elapsedSeconds = (now.getTime() - Date.parse(target.startedAt)) / 1000;
  if (elapsedSeconds >= limitSeconds) {
    throw new EndpointTimeout(
      `Endpoint ${name} is still ${status} ${Math.round(elapsedSeconds)} s after the deployment started ` +
        `(timeouts.endpointSeconds = ${limitSeconds}), so the failure path took over (see Rollback); raise timeouts.endpointSeconds ` +
        `if the instances need longer to start, or check the container's health check (GET /ping).`,
    );
  }
  // never wait past the deadline: the last poll lands on it
  const wait = Math.min(
    nextPollSeconds(state.config.poll.endpointSeconds, polls - 1, READINESS_POLL_MAX_FACTOR),
    Math.max(1, Math.ceil(limitSeconds - elapsedSeconds)),
  );
  return { ...poll, ready: false, nextPollSeconds: wait };
}

/** Before promotion: what DeployEndpoint deployed (the candidate, or production); after: production. */
export function waitTarget(state: PipelineState, deployment: DeploymentState): { endpointName: string; phase: TestPhase; startedAt: string } {
  if (state.promotion) return { endpointName: state.names.endpoint, phase: 'verify', startedAt: state.promotion.startedAt };
  return { endpointName: deployment.candidateEndpointName ?? state.names.endpoint, phase: 'gate', startedAt: deployment.startedAt };
}

/** Every case at the gate; after promotion only those marked verify (none when release.verify is off). */
function casesFor(state: PipelineState, phase: TestPhase): SmokeTest[] {
  if (phase === 'gate') return state.config.smokeTests;
  return state.config.release.verify ? state.config.smokeTests.filter((c) => c.verify !== false) : [];
}

/**
 * Production promoted at 0 instances (scaled to zero, kept by RetainAllVariantProperties): a verification request
 * would wait minutes for a scale-out from zero and leave production scaled out. The gate already ran every case on
 * the candidate with this very endpoint config (model, image, instance type, environment), so it is not repeated.
 */
function verifySkipped(state: PipelineState, deployment: DeploymentState): string {
  return (
    `production ${state.names.endpoint} has 0 instances (scaled to zero): verifying would wait for a scale-out from zero ` +
    `and leave it scaled out; the gate ran these cases on candidate ${deployment.candidateEndpointName} with the same endpoint config ${state.names.endpointConfig}`
  );
}

function describeTarget(state: PipelineState, name: string): string {
  return name === state.names.endpoint
    ? `Endpoint ${name}`
    : `Candidate endpoint ${name} (production ${state.names.endpoint} is untouched)`;
}

function requireDeployment(state: PipelineState): DeploymentState {
  if (!state.deployment) {
    throw new Error('DescribeEndpoint ran without $.deployment: the state machine must run DeployEndpoint first');
  }
  return state.deployment;
}

function failure(deployment: DeploymentState, message: string): PipelineError {
  return deployment.action === 'create' ? new EndpointCreationFailed(message) : new EndpointUpdateFailed(message);
}

/** InService on a config that is not ours: SageMaker rolled our update back, or someone else changed the endpoint. */
function notOnOurConfig(
  state: PipelineState,
  deployment: DeploymentState,
  endpoint: DescribeEndpointCommandOutput,
): PipelineError {
  const name = endpoint.EndpointName ?? state.names.endpoint;
  const reason = endpoint.FailureReason ? ` FailureReason: ${endpoint.FailureReason}.` : '';
  if (deployment.action === 'update' && endpoint.EndpointConfigName === deployment.previousConfigName) {
    return new EndpointUpdateFailed(
      `SageMaker rolled endpoint ${name} back to its previous config ${endpoint.EndpointConfigName} instead of ` +
        `${state.names.endpointConfig}.${reason} The endpoint still serves the previous model; check the new ` +
        `model's container logs (/aws/sagemaker/Endpoints/${name}).`,
    );
  }
  return failure(
    deployment,
    `Endpoint ${name} is InService on config ${endpoint.EndpointConfigName ?? '(none)'}, not on this run's ` +
      `${state.names.endpointConfig}: something outside the pipeline changed it during the deployment.${reason}`,
  );
}
