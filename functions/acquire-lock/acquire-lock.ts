import type { PipelineEnvironment } from '../lib/environment';
import { DeploymentInProgress } from '../lib/errors';
import { acquireLock } from '../lib/lock';
import { artifactKeys } from '../lib/names';
import type { LockState, PipelineState } from '../lib/pipeline-state';
import { nextPollSeconds } from '../lib/poll-schedule';

/**
 * One round of the AcquireLock loop. `firstAttemptAt` and `attempts` come back in $.lock on every iteration, so the
 * waiting time is measured across the whole loop rather than per attempt.
 */
export async function acquireEndpointLock(state: PipelineState, env: PipelineEnvironment, now: Date): Promise<LockState> {
  const endpointName = state.names.endpoint;
  const firstAttemptAt = state.lock?.firstAttemptAt ?? now.toISOString();
  const attempts = (state.lock?.attempts ?? 0) + 1;
  const key = artifactKeys.lock(endpointName);
  const result = await acquireLock({ bucket: env.artifactsBucket, endpointName, executionArn: state.execution.id, now });
  if (result.acquired) return { acquired: true, key, firstAttemptAt, attempts, nextPollSeconds: 0 };

  const waitedSeconds = (now.getTime() - Date.parse(firstAttemptAt)) / 1000;
  const limitSeconds = state.config.timeouts.lockSeconds;
  if (waitedSeconds >= limitSeconds) {
    throw new DeploymentInProgress(
      `Endpoint ${endpointName} is being deployed by execution ${result.holder ?? '(unknown)'}; this run waited ` +
        `${Math.round(waitedSeconds)} s for it (timeouts.lockSeconds = ${limitSeconds}). Let that execution finish ` +
        `or stop it, then start this deployment again. Lock: s3://${env.artifactsBucket}/${key}.`,
    );
  }
  return {
    acquired: false,
    key,
    holder: result.holder,
    firstAttemptAt,
    attempts,
    nextPollSeconds: Math.min(
      nextPollSeconds(state.config.poll.lockSeconds, attempts - 1),
      Math.max(1, Math.ceil(limitSeconds - waitedSeconds)),
    ),
  };
}
