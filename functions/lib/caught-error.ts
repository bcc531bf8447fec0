import type { CaughtError } from './pipeline-state';

/**
 * What a Catch puts in the state is `{Error, Cause}`; for a Lambda error, Step Functions makes the Cause the JSON
 * of the Lambda's error response ({"errorType","errorMessage","trace"}). People need the message, not the JSON.
 */
export function readableCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed === 'object' && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: already a plain message
  }
  return cause;
}

/** "Error: readable cause", for quoting an error inside another one's cause. */
export function describeCaught(error: CaughtError | undefined): string {
  if (!error) return 'an unrecorded error';
  const cause = readableCause(error.Cause);
  return cause ? `${error.Error}: ${cause}` : error.Error;
}
