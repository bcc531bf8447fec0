import * as z from 'zod';
import { logger, withInvocationLogger } from '../lib/logger';
import type { PipelineState } from '../lib/pipeline-state';
import { parseInvokedSmokeCaseState } from '../lib/smoke-case-state';
import { step } from '../lib/step';
import { waitTarget } from '../describe-endpoint/describe-endpoint';
import { eventWaitKeys } from './event-keys';
import { settleWait, type Settlement } from './settle';
import { sweepExpiredWaits } from './sweep';
import { endpointWaitKey, outputWaitKey, putWait } from './wait-store';

/** The endpoint whose state-change event ends the wait: the candidate at the gate, production otherwise. */
function awaitedEndpoint(state: PipelineState): string {
  return state.deployment ? waitTarget(state, state.deployment).endpointName : state.names.endpoint;
}

/** What WaitForEndpoint / WaitForOutput pass (their Parameters' Payload): the token, which wait, the state. */
const registrationSchema = z.object({
  taskToken: z.string().min(1),
  wait: z.enum(['endpoint', 'output']),
  state: z.record(z.string(), z.unknown()),
});

const register = step('AwaitEvent', async (input: z.infer<typeof registrationSchema>): Promise<{ key: string; settled: Settlement }> => {
  const key =
    input.wait === 'endpoint'
      ? endpointWaitKey(awaitedEndpoint(input.state as unknown as PipelineState), (input.state as unknown as PipelineState).execution.name)
      : outputWaitKey(parseInvokedSmokeCaseState(input.state).invocation.inferenceId);
  const stored = await putWait(key, { taskToken: input.taskToken, wait: input.wait, state: input.state, registeredAt: new Date().toISOString() });
  // The event may have come before the token was recorded: check once now, so it is never missed (with the record
  // just written: no read back).
  const settled = await settleWait(key, new Date(), stored);
  await sweepExpiredWaits(new Date()).catch((error: Error) => logger.warn('expired waits not swept', { error: error.message }));
  return { key, settled };
});

/**
 * AwaitEvent, one function for both ends of an event-driven wait:
 * - as the callback Task WaitForEndpoint / WaitForOutput (`lambda:invoke.waitForTaskToken`): records the task token
 *   and checks once, then removes the records of waits whose Task has timed out (see sweep.ts);
 * - as the target of the endpoint state-change rule and the subscriber of the async success/error topics: finds the
 *   tokens the event concerns and resumes their Tasks when their condition is settled.
 */
export const handler = async (input: unknown): Promise<unknown> => {
  const registration = registrationSchema.safeParse(input);
  if (registration.success) return register(registration.data);
  // An event is no execution's own: its lines carry the step and the waits it concerns (each names its run).
  return withInvocationLogger({ step: 'AwaitEvent' }, async () => {
    const keys = await eventWaitKeys(input);
    const settled = await Promise.all(keys.map((key) => settleWait(key, new Date())));
    logger.info('event handled', { keys, settled });
    return { keys, settled };
  });
};
