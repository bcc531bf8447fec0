import { JSONPath } from 'jsonpath-plus';
import type { CallbackLimits } from './callback-task';
import type { StateInfo } from './definition';
import { laneContext, type Lane } from './task-invocations';

export interface TimingOverrides {
  waitTimeOverrides?: Record<string, number>;
  retryIntervalOverrides?: Record<string, number[]>;
}

/**
 * Scales every Wait and every retry interval by `scale` (AEP_LOCAL_WAIT_SCALE), so a pipeline that polls every
 * 30 s in the cloud polls every 0.3 s in a test with scale 0.01. aws-local-stepfunctions only takes fixed
 * per-state-name overrides, so these are proxies that compute, when the library asks, what the state would wait
 * for — from its Seconds/Timestamp, or its SecondsPath/TimestampPath evaluated against the latest state of the
 * asking lane (the result of the Task before it, placed at that Task's ResultPath) — times the scale.
 * Retries: IntervalSeconds × BackoffRate^(attempt-1), capped by MaxDelaySeconds, times the scale (no jitter).
 * At scale 1 there are no overrides at all: the library's own timing, jitter included, is AWS's.
 */
export function scaledTiming(states: Map<string, StateInfo>, scale: number): TimingOverrides {
  if (scale === 1) return {};
  const millis = (seconds: number) => Math.max(0, Math.round(seconds * scale * 1000));
  const waitTimeOverrides = new Proxy({} as Record<string, number>, {
    get(_, name) {
      const state = typeof name === 'string' ? states.get(name) : undefined;
      if (state?.Type !== 'Wait') return undefined;
      const seconds = waitSeconds(state, states, laneContext.getStore());
      // Undefined leaves the library to compute the wait itself, unscaled: slow, never wrong.
      return seconds === undefined ? undefined : millis(seconds);
    },
  });
  const retryIntervalOverrides = new Proxy({} as Record<string, number[]>, {
    get(_, name) {
      const state = typeof name === 'string' ? states.get(name) : undefined;
      if (!state?.Retry) return undefined;
      const lane = laneContext.getStore();
      const attempt = lane?.stateName === name ? Math.max(1, lane.failures) : 1;
      return state.Retry.map((r) =>
        millis(Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** (attempt - 1), r.MaxDelaySeconds ?? Infinity)),
      );
    },
  });
  return { waitTimeOverrides, retryIntervalOverrides };
}

/**
 * A callback Task's timeout and heartbeat, scaled like Waits: TimeoutSeconds, or TimeoutSecondsPath read from the
 * state's input (AWS reads it there, not from the Parameters); likewise HeartbeatSeconds(Path). No timeout: none.
 */
export function callbackLimits(state: StateInfo, stateInput: unknown, scale: number): CallbackLimits {
  const seconds = (fixed: number | undefined, path: string | undefined) => {
    const value = fixed ?? query(path, stateInput);
    return typeof value === 'number' && value > 0 ? Math.max(0, Math.round(value * scale * 1000)) : undefined;
  };
  return {
    timeoutMs: seconds(state.TimeoutSeconds, state.TimeoutSecondsPath),
    heartbeatMs: seconds(state.HeartbeatSeconds, state.HeartbeatSecondsPath),
  };
}

function waitSeconds(wait: StateInfo, states: Map<string, StateInfo>, lane: Lane | undefined): number | undefined {
  if (wait.Seconds !== undefined) return wait.Seconds;
  if (wait.Timestamp !== undefined) return untilSeconds(wait.Timestamp);
  const state = lane && laneState(lane, states);
  if (state === undefined) return undefined;
  const value = query(wait.SecondsPath ?? wait.TimestampPath, state);
  if (wait.SecondsPath !== undefined) return typeof value === 'number' && value >= 0 ? value : undefined;
  return typeof value === 'string' ? untilSeconds(value) : undefined;
}

const untilSeconds = (timestamp: string) => {
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
};

/** The state a lane's latest Task produced: its result placed at the Task's ResultPath, then its OutputPath. */
export function laneState(lane: Lane, states: Map<string, StateInfo>): unknown {
  if (lane.failed || lane.result === undefined) return undefined;
  const task = states.get(lane.stateName);
  const payloadIsState = task?.InputPath === undefined && task?.Parameters === undefined;
  const base = payloadIsState ? lane.payload : {};
  const resultPath = task?.ResultPath;
  let state: unknown;
  if (resultPath === null) state = base;
  else if (resultPath === undefined || resultPath === '$') state = lane.result;
  else state = setPath(base, resultPath, lane.result);
  return task?.OutputPath && task.OutputPath !== '$' ? query(task.OutputPath, state) : state;
}

/**
 * `$.a.b` ← value, creating objects on the way (the reference paths ResultPath allows). A copy of `base` along the
 * path only: the lane's payload is shared with the call that received it, and is never changed.
 */
function setPath(base: unknown, path: string, value: unknown): unknown {
  const keys = path.replace(/^\$\.?/, '').split('.');
  const set = (node: unknown, depth: number): Record<string, unknown> => {
    const copy = { ...(typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : {}) };
    const key = keys[depth];
    copy[key] = depth === keys.length - 1 ? value : set(copy[key], depth + 1);
    return copy;
  };
  return set(base, 0);
}

function query(path: string | undefined, json: unknown): unknown {
  if (path === undefined || typeof json !== 'object' || json === null) return undefined;
  return JSONPath({ path, json: json as object, wrap: false }) as unknown;
}
