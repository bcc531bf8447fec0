import { invokeWithValue, type LocalFunction } from '../lambda/step-function';
import type { JsonObject, JsonValue, StateInfo } from './definition';
import { CallbackTaskError, type TaskTokens } from './task-tokens';

/** The one callback integration the runner runs: Lambda Invoke that waits for its task token. */
const CALLBACK_RESOURCE = /^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/;

/** What the library waits before failing a Task: far beyond any callback timeout, within setTimeout's range. */
const LIBRARY_TIMEOUT_SECONDS = 2_000_000;

export const isCallbackResource = (resource: string | undefined): boolean => CALLBACK_RESOURCE.test(resource ?? '');

/**
 * The definition as aws-local-stepfunctions gets it. The library resolves TimeoutSecondsPath against the Task's
 * Parameters instead of its input and knows no heartbeats, so callback Tasks get a far-off library timeout and the
 * runner enforces their own (scaled) timeout and heartbeat itself. The deployed text is untouched.
 */
export function libraryDefinition(document: JsonObject): JsonObject {
  // A JSON copy, not structuredClone: under jest that yields objects of another realm, which the library does not walk.
  const copy = JSON.parse(JSON.stringify(document)) as JsonObject;
  const visit = (machine: JsonValue | undefined) => {
    const states = (machine as { States?: Record<string, JsonObject> } | undefined)?.States ?? {};
    for (const state of Object.values(states)) {
      if (state.Type === 'Task' && isCallbackResource(state.Resource as string)) {
        for (const field of ['TimeoutSecondsPath', 'HeartbeatSeconds', 'HeartbeatSecondsPath']) delete state[field];
        state.TimeoutSeconds = LIBRARY_TIMEOUT_SECONDS;
      }
      visit(state.ItemProcessor ?? state.Iterator);
      for (const branch of (state.Branches as JsonValue[] | undefined) ?? []) visit(branch);
    }
  };
  visit(copy);
  return copy;
}

export interface CallbackContext {
  tokens: TaskTokens;
  executionArn: string;
  functionFor: (functionArnOrName: string) => LocalFunction;
  /** The state's timeout and heartbeat in milliseconds, already scaled (undefined: none). */
  limits: (state: StateInfo) => CallbackLimits;
}

export interface CallbackLimits {
  timeoutMs?: number;
  heartbeatMs?: number;
}

/**
 * Runs a `lambda:invoke.waitForTaskToken` Task: invokes the function with the Parameters' `Payload` (which carries
 * `$$.Task.Token`), then waits until the token is used (SendTaskSuccess → the output; SendTaskFailure → its error),
 * the timeout passes (States.Timeout) or no heartbeat came in time (States.HeartbeatTimeout).
 */
export async function runCallbackTask(state: StateInfo, parameters: unknown, ctx: CallbackContext): Promise<unknown> {
  const token = ctx.tokens.findIn(parameters);
  const { FunctionName, Payload } = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
  if (!token || typeof FunctionName !== 'string') {
    throw new CallbackTaskError(
      'States.Runtime',
      'A .waitForTaskToken Task needs Parameters with FunctionName and a Payload that passes $$.Task.Token',
    );
  }
  const { timeoutMs, heartbeatMs } = ctx.limits(state);
  let timeoutTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  const stopTimers = () => {
    clearTimeout(timeoutTimer);
    clearTimeout(heartbeatTimer);
  };
  const armHeartbeat = () => {
    if (heartbeatMs === undefined) return;
    clearTimeout(heartbeatTimer);
    heartbeatTimer = setTimeout(() => ctx.tokens.end(token, new CallbackTaskError('States.HeartbeatTimeout', 'No heartbeat in time')), heartbeatMs);
  };
  const outcome = ctx.tokens.await(token, ctx.executionArn, armHeartbeat);
  // The timeout runs from the moment the Task is scheduled, the function's own run included, as in AWS.
  if (timeoutMs !== undefined) {
    timeoutTimer = setTimeout(() => ctx.tokens.end(token, new CallbackTaskError('States.Timeout', 'Task timed out waiting for its task token')), timeoutMs);
  }
  armHeartbeat();
  // A callback that comes before the function returned is kept: the Task then ends as soon as the function does.
  outcome.catch(() => undefined);
  try {
    await invokeWithValue(ctx.functionFor(FunctionName), Payload);
  } catch (error) {
    ctx.tokens.end(token);
    stopTimers();
    throw error;
  }
  try {
    return await outcome;
  } finally {
    stopTimers();
  }
}
