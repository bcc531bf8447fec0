import { OutputTimeout, SmokeInvocationFailed } from '../lib/errors';
import type { OutputPoll } from '../lib/pipeline-state';
import { nextPollSeconds, READINESS_POLL_MAX_FACTOR } from '../lib/poll-schedule';
import { headObject, readFirstBytes } from '../lib/s3-objects';
import { invokedEndpoint, type InvokedSmokeCaseState } from '../lib/smoke-case-state';

/** How much of a failure object goes into the cause: enough for a stack trace's first lines. */
export const FAILURE_EXCERPT_BYTES = 1024;

/**
 * One poll of an asynchronous invocation: the output object means done; the failure object means the model
 * failed the request (its first KB says why); neither means wait, until timeouts.outputSeconds have passed.
 */
export async function checkOutput(state: InvokedSmokeCaseState, now: Date): Promise<OutputPoll> {
  const { invocation } = state;
  const caseName = state.case.name;
  const polls = (state.output?.polls ?? 0) + 1;
  const checkedAt = now.toISOString();

  if (await headObject(invocation.outputLocation)) {
    return { ready: true, polls, nextPollSeconds: 0, checkedAt };
  }
  // One ranged GET: it tells whether the failure object exists and reads what it says.
  const excerpt = invocation.failureLocation ? await readFirstBytes(invocation.failureLocation, FAILURE_EXCERPT_BYTES) : undefined;
  if (excerpt) {
    throw new SmokeInvocationFailed(
      `case ${caseName}: the endpoint ${invokedEndpoint(state)} failed the request (inference ${invocation.inferenceId}); ` +
        `failure object ${invocation.failureLocation} says: ${printable(excerpt)}`,
    );
  }

  const waitedSeconds = (now.getTime() - Date.parse(invocation.invokedAt)) / 1000;
  if (waitedSeconds >= state.timeouts.outputSeconds) {
    const looked = [invocation.outputLocation, invocation.failureLocation].filter(Boolean).join(' and ');
    throw new OutputTimeout(
      `case ${caseName}: no output after ${Math.round(waitedSeconds)} s (timeouts.outputSeconds = ` +
        `${state.timeouts.outputSeconds}) for inference ${invocation.inferenceId} on endpoint ${invokedEndpoint(state)}; ` +
        `looked for ${looked}. Check the endpoint's CloudWatch logs, or raise timeouts.outputSeconds for slow models`,
    );
  }
  return { ready: false, polls, nextPollSeconds: nextPollSeconds(state.poll.outputSeconds, polls - 1, READINESS_POLL_MAX_FACTOR), checkedAt };
}

/** The excerpt as one readable line: invalid UTF-8 replaced, control characters collapsed to spaces. */
function printable(bytes: Buffer): string {
  const text = bytes.toString('utf-8').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const more = bytes.length >= FAILURE_EXCERPT_BYTES ? ' …' : '';
  return text ? `"${text}${more}"` : '(empty)';
}
