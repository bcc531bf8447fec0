import { OutputTimeout, SmokeInvocationFailed } from '../lib/errors';
import type { OutputPoll } from '../lib/pipeline-state';
import { nextPollSeconds, READINESS_POLL_MAX_FACTOR } from '../lib/poll-schedule';
import { existingKeys, headObject, readFirstBytes, toLocation } from '../lib/s3-objects';
import { keyPrefix, type S3Location } from '../lib/s3-uri';
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

  const found = await lookForResult(invocation.outputLocation, invocation.failureLocation);
  if (found === 'output') {
    return { ready: true, polls, nextPollSeconds: 0, checkedAt };
  }
  if (found) {
    throw new SmokeInvocationFailed(
      `case ${caseName}: the endpoint ${invokedEndpoint(state)} failed the request (inference ${invocation.inferenceId}); ` +
        `failure object ${invocation.failureLocation} says: ${printable(found)}`,
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

/**
 * 'output' when the output object exists, else the failure object's first bytes when that exists, else undefined.
 * Both in one folder (the pipeline's own endpoint configs): one listing says which, so a check that finds nothing or
 * the output is one call, not a HEAD and a ranged GET (a LIST is priced above a GET, but it is one call per check of a
 * smoke case, negligible next to the state transitions). Otherwise: a HEAD of the output, then one ranged GET that
 * both finds the failure object and reads it.
 */
async function lookForResult(outputUri: string, failureUri: string | undefined): Promise<'output' | Buffer | undefined> {
  const output = toLocation(outputUri);
  const failure = failureUri === undefined ? undefined : toLocation(failureUri);
  const prefix = failure && sharedListingPrefix(output, failure);
  if (failure && prefix !== undefined) {
    const existing = await existingKeys(output.bucket, prefix, [output.key, failure.key]);
    if (existing.has(output.key)) return 'output';
    if (!existing.has(failure.key)) return undefined;
  } else if (await headObject(output)) {
    return 'output';
  }
  return failure && readFirstBytes(failure, FAILURE_EXCERPT_BYTES);
}

/**
 * The longest common prefix of two keys in the same bucket and folder (`async-outputs/rec/<id>` for `<id>.out` and
 * `<id>-error.out`): it lists little besides them. Undefined when one listing would not be narrow.
 */
function sharedListingPrefix(a: S3Location, b: S3Location): string | undefined {
  if (a.bucket !== b.bucket || keyPrefix(a.key) !== keyPrefix(b.key)) return undefined;
  let n = 0;
  while (n < a.key.length && a.key[n] === b.key[n]) n++;
  // Not half a surrogate pair: that prefix would not be valid UTF-8.
  if (n > 0 && /[\uD800-\uDBFF]/.test(a.key[n - 1])) n--;
  return a.key.slice(0, n);
}

/** The excerpt as one readable line: invalid UTF-8 replaced, control characters collapsed to spaces. */
function printable(bytes: Buffer): string {
  const text = bytes.toString('utf-8').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const more = bytes.length >= FAILURE_EXCERPT_BYTES ? ' …' : '';
  return text ? `"${text}${more}"` : '(empty)';
}
