import { isTransientAwsError, PipelineError, TransientError } from './errors';
import { logger, withInvocationLogger } from './logger';

/**
 * Wraps a step's logic as a Lambda handler: payload in, payload out.
 * - gives the invocation its own logger whose every line carries the step and the execution id (found in the payload
 *   as `execution.id`, `state.execution.id`),
 * - lets the typed pipeline errors through unchanged (their `name` is the Step Functions error),
 * - turns throttling and 5xx from AWS into TransientError, which the state machine retries with backoff.
 */
export function step<I, O>(stepName: string, run: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return (input: I) =>
    withInvocationLogger({ step: stepName, executionId: findExecutionId(input) }, async () => {
      const started = Date.now();
      try {
        const output = await run(input);
        logger.info('step succeeded', { durationMs: Date.now() - started });
        return output;
      } catch (error) {
        const failure = classify(error);
        logger.error('step failed', { durationMs: Date.now() - started, error: failure.name, cause: failure.message });
        throw failure;
      }
    });
}

function classify(error: unknown): Error {
  if (error instanceof PipelineError || error instanceof TransientError) return error;
  if (isTransientAwsError(error)) {
    const e = error as Error;
    return new TransientError(`${e.name}: ${e.message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function findExecutionId(input: unknown): string | undefined {
  const i = input as { execution?: { id?: string }; state?: { execution?: { id?: string } } } | undefined;
  return i?.execution?.id ?? i?.state?.execution?.id;
}
