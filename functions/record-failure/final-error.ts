import { describeCaught, readableCause } from '../lib/caught-error';
import type { CaughtError } from '../lib/pipeline-state';

/** Step Functions keeps at most 32768 characters of a cause. */
export const MAX_CAUSE_CHARS = 32000;

export interface FailureFacts {
  error?: CaughtError;
  rollbackError?: CaughtError;
  /** How many smoke cases ran (for "2 of 3 smoke cases …"). */
  smokeCaseCount?: number;
}

/**
 * The error the execution fails with: the original one, with a cause a person can read — the Lambda error JSON
 * unwrapped, GateFailed's JSON array of case causes turned into a sentence — or RollbackFailed when the rollback
 * did not complete, quoting both.
 */
export function finalError(facts: FailureFacts): CaughtError {
  const original = readable(facts.error);
  if (!facts.rollbackError) return original;
  const rollback =
    facts.rollbackError.Error === 'RollbackFailed'
      ? readableCause(facts.rollbackError.Cause)
      : describeCaught(facts.rollbackError);
  return {
    Error: 'RollbackFailed',
    Cause: cut(`rollback after ${original.Error}: ${rollback} ; original cause: ${original.Cause}`),
  };

  function readable(error: CaughtError | undefined): CaughtError {
    if (!error?.Error) {
      return {
        Error: 'States.Runtime',
        Cause: 'The execution reached RecordFailure without an error in its state; see the execution history for the failed state',
      };
    }
    const cause = error.Error === 'BaselineMismatch' ? baselineMismatchCause(error.Cause, facts.smokeCaseCount) : readableCause(error.Cause);
    return { Error: error.Error, Cause: cut(cause) };
  }
}

/** GateFailed's cause is States.JsonToString of the failed cases' causes: ["case a: …", "case b: …"]. */
export function baselineMismatchCause(cause: string | undefined, caseCount: number | undefined): string {
  let causes: unknown;
  try {
    causes = JSON.parse(cause ?? '');
  } catch {
    return readableCause(cause);
  }
  if (!Array.isArray(causes) || !causes.every((c) => typeof c === 'string')) return readableCause(cause);
  const failed = causes.length;
  const total = Math.max(caseCount ?? failed, failed);
  const verb = failed === 1 ? 'failed its baseline' : 'failed their baseline';
  return `${failed} of ${total} smoke case${total === 1 ? '' : 's'} ${verb}: ${causes.join('; ')}`;
}

function cut(text: string): string {
  return text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS - 1)}…` : text;
}
