import { AsyncLocalStorage } from 'node:async_hooks';
import type { FaultInjector } from '../faults';
import { LambdaFunctionError, type LocalFunction } from '../lambda/step-function';
import { isCallbackResource, runCallbackTask, type CallbackContext, type CallbackLimits } from './callback-task';
import type { StateInfo } from './definition';

/** One call of a Task's function, as the history reports it. */
export interface Invocation {
  stateName: string;
  /** The payload exactly as the function received it (after InputPath/Parameters). */
  inputText: string;
  startedAt: number;
  outputText?: string;
  finishedAt?: number;
}

/**
 * The calls the Tasks of one execution made, until the history claims them. The library calls a Task's function in
 * the same synchronous step as it logs the state's StateEntered/StateRetried event, but its log is read
 * asynchronously; the journal lets the history pair each event with its call. Concurrent Map iterations are told
 * apart by their input (each iteration's state differs), so pairing never depends on timing.
 */
export class InvocationJournal {
  private readonly open: Invocation[] = [];

  record(invocation: Invocation): void {
    this.open.push(invocation);
  }

  /** The oldest unclaimed call of `stateName`; with `payload`, the oldest whose payload equals it. */
  claim(stateName: string, payload?: unknown): Invocation | undefined {
    const candidates = this.open.filter((i) => i.stateName === stateName);
    if (candidates.length === 0) return undefined;
    // Only concurrent calls of one state (Map iterations) need telling apart by payload.
    const text = payload === undefined || candidates.length === 1 ? undefined : JSON.stringify(payload);
    const invocation = candidates.find((i) => i.inputText === text) ?? candidates[0];
    this.open.splice(this.open.indexOf(invocation), 1);
    return invocation;
  }
}

/**
 * The latest Task call of the current lane of an execution: the top level, or one Map iteration. Kept in async
 * context so that a Wait or a retry inside an iteration sees its own iteration's latest state, not a sibling's.
 */
export interface Lane {
  stateName: string;
  payload: unknown;
  result?: unknown;
  /** Consecutive failed calls of `stateName` in this lane: the retry attempt number. */
  failures: number;
  failed: boolean;
}

export const laneContext = new AsyncLocalStorage<Lane>();

/** What callback Tasks (`.waitForTaskToken`) of one execution need; `limits` reads TimeoutSecondsPath from the state's input. */
export interface CallbackSetup extends Omit<CallbackContext, 'limits'> {
  limits: (state: StateInfo, stateInput: unknown) => CallbackLimits;
  /** The state a Task's input was: the result of its lane's latest Task (see scaled-timing). */
  laneState: (lane: Lane) => unknown;
}

/**
 * The taskResourceLocalHandlers of one execution: every Task state calls the function its Resource names (a
 * callback Task: the function its Parameters name, then waits for its token), and each
 * call is journaled for the history and remembered as its lane's latest state. Fault rules for service `lambda`
 * (operation: the state name) fail or stall the call as the Lambda service would (`Lambda.ServiceException`, …),
 * or — phase `after` — let the handler run and then fail, as a handler that throws after its side effects.
 */
export function taskHandlers(
  states: Map<string, StateInfo>,
  functionFor: (resource: string) => LocalFunction,
  journal: InvocationJournal,
  faults?: FaultInjector,
  callbacks?: CallbackSetup,
): Record<string, (input: unknown) => Promise<unknown>> {
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, state] of states) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const resource = state.Resource;
    const callback = isCallbackResource(resource);
    if (callback && !callbacks) throw new Error(`${stateName}: callback Tasks need the execution's task tokens`);
    const fn = callback ? undefined : functionFor(resource);
    /** The call's result, and its JSON text (a function returns text; a callback's output is a value). */
    const invoke = async (payload: unknown, inputText: string, stateInput: unknown): Promise<{ result: unknown; outputText: string }> => {
      const fault = faults?.check({ service: 'lambda', operation: stateName, resource });
      if (fault && 'error' in fault && !fault.after) throw new LambdaFunctionError(fault.error.code, fault.error.message);
      if (fault && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      let outcome: { result: unknown; outputText: string };
      if (fn) {
        const outputText = await fn(inputText);
        outcome = { result: JSON.parse(outputText) as unknown, outputText };
      } else {
        const result = await runCallbackTask(state, payload, { ...callbacks!, limits: (s) => callbacks!.limits(s, stateInput) });
        outcome = { result, outputText: JSON.stringify(result ?? null) };
      }
      if (fault && 'error' in fault) throw new LambdaFunctionError(fault.error.code, fault.error.message);
      return outcome;
    };
    handlers[stateName] = (payload) => {
      const previous = laneContext.getStore();
      const stateInput = callback && previous ? callbacks!.laneState(previous) : undefined;
      const lane: Lane = {
        stateName,
        payload,
        failures: previous?.stateName === stateName && previous.failed ? previous.failures : 0,
        failed: false,
      };
      // enterWith, not run: the library awaits this call and carries on in the same async context, so the lane
      // stays current for the Choice and Wait states that follow it in this iteration.
      laneContext.enterWith(lane);
      const invocation: Invocation = { stateName, inputText: JSON.stringify(payload ?? null), startedAt: Date.now() };
      journal.record(invocation);
      return invoke(payload, invocation.inputText, stateInput).then(
        ({ result, outputText }) => {
          lane.result = result;
          invocation.outputText = outputText;
          invocation.finishedAt = Date.now();
          return result;
        },
        (error: unknown) => {
          lane.failed = true;
          lane.failures += 1;
          throw error;
        },
      );
    };
  }
  return handlers;
}
