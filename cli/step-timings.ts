import type { HistoryEvent } from '@aws-sdk/client-sfn';

/**
 * How long each state of an execution took, from its Step Functions history, for `aep status` and `aep report`.
 * A state entered many times (a poll loop, the iterations of the SmokeTests Map) gets one line: how often and how
 * long in total. Concurrent Map iterations interleave their events, but the total is Σ exit times − Σ entry times
 * whichever entry each exit belongs to, so it needs no pairing.
 */
export interface StepTiming {
  state: string;
  /** Times the state was entered. */
  entries: number;
  /** Entries not exited yet (the step writing the audit record, for one). */
  running: number;
  /** Seconds spent in the state over all finished entries. */
  totalSeconds: number;
  firstEnteredAt: string;
  lastExitedAt?: string;
}

export interface ExecutionTimings {
  steps: StepTiming[];
  /** Seconds from the first event read to the last. */
  elapsedSeconds: number;
}

export function stepTimings(events: HistoryEvent[]): ExecutionTimings {
  const entered = new Map<string, number[]>();
  const exited = new Map<string, number[]>();
  const times: number[] = [];
  for (const event of events) {
    if (!event.timestamp) continue;
    const at = new Date(event.timestamp).getTime();
    times.push(at);
    const enteredState = event.stateEnteredEventDetails?.name;
    const exitedState = event.stateExitedEventDetails?.name;
    if (enteredState !== undefined) push(entered, enteredState, at);
    // an exit whose entry is not in the events read cannot be timed
    else if (exitedState !== undefined && entered.has(exitedState)) push(exited, exitedState, at);
  }

  const steps = [...entered].map(([state, entries]): StepTiming => {
    const exits = exited.get(state) ?? [];
    // entries still running are the latest ones: the total counts the first exits.length entries
    const totalMs = sum(exits) - sum(entries.slice(0, exits.length));
    return {
      state,
      entries: entries.length,
      running: entries.length - exits.length,
      totalSeconds: Math.max(0, Math.round(totalMs) / 1000),
      firstEnteredAt: new Date(entries[0]).toISOString(),
      ...(exits.length ? { lastExitedAt: new Date(exits[exits.length - 1]).toISOString() } : {}),
    };
  });
  const elapsedSeconds = times.length ? (Math.max(...times) - Math.min(...times)) / 1000 : 0;
  return { steps, elapsedSeconds };
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
