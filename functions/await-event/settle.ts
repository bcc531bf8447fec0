import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { checkOutput } from '../check-output/check';
import { describeEndpoint } from '../describe-endpoint/describe-endpoint';
import { sfn } from '../lib/clients';
import { awsErrorName, PipelineError } from '../lib/errors';
import { logger } from '../lib/logger';
import type { PipelineState } from '../lib/pipeline-state';
import { parseInvokedSmokeCaseState } from '../lib/smoke-case-state';
import { deleteWait, readWait, type StoredWait, type WaitRecord } from './wait-store';

/** What SendTask* answers for a token whose Task is over (timed out, already resumed, execution ended): nothing to do. */
const STALE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export type Settlement = 'succeeded' | 'failed' | 'waiting' | 'gone';

/**
 * Checks a waiting Task's condition exactly as its fallback step does (DescribeEndpoint, CheckOutput) and, when it is
 * settled, resumes the Task: SendTaskSuccess with the check's result, or SendTaskFailure with the named error
 * (EndpointCreationFailed, EndpointTimeout, SmokeInvocationFailed, OutputTimeout, …). Not settled yet: nothing.
 * Safe to repeat: a second event, or the register's own check racing an event, finds the record gone or the
 * token already used (TaskTimedOut), and changes nothing.
 */
export async function settleWait(key: string, now: Date, stored?: StoredWait): Promise<Settlement> {
  const wait = stored ?? (await readWait(key));
  if (!wait) return 'gone';
  const { record } = wait;
  const outcome = await check(record, now);
  if (outcome === undefined) return 'waiting';
  try {
    if ('result' in outcome) {
      await sfn().send(new SendTaskSuccessCommand({ taskToken: record.taskToken, output: JSON.stringify(outcome.result) }));
    } else {
      await sfn().send(new SendTaskFailureCommand({ taskToken: record.taskToken, error: outcome.error.name, cause: outcome.error.message }));
    }
  } catch (error) {
    if (!STALE_TOKEN_ERRORS.has(awsErrorName(error) ?? '')) throw error;
    logger.info('wait already over', { key, reason: awsErrorName(error) });
  }
  // A newer token recorded meanwhile (a retried Task) stays for its own event: the delete is of this version only.
  await deleteWait(key, wait.etag);
  return 'result' in outcome ? 'succeeded' : 'failed';
}

async function check(record: WaitRecord, now: Date): Promise<{ result: unknown } | { error: PipelineError } | undefined> {
  try {
    const poll =
      record.wait === 'endpoint'
        ? await describeEndpoint(record.state as PipelineState, now)
        : await checkOutput(parseInvokedSmokeCaseState(record.state), now);
    return poll.ready ? { result: poll } : undefined;
  } catch (error) {
    if (error instanceof PipelineError) return { error };
    throw error;
  }
}
