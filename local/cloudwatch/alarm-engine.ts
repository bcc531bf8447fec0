import { evaluateAlarm } from './alarm-evaluation';
import type { AlarmRecord, AlarmStore } from './alarm-store';
import type { MetricStore } from './metrics';
import type { StateValue } from './shapes';

/** A state change of an alarm, as subscribers (SageMaker's deployment guardrails, tests) receive it. */
export interface AlarmStateChange {
  alarmName: string;
  alarmArn: string;
  oldState: StateValue;
  newState: StateValue;
  reason: string;
  timestamp: Date;
}

/** What an action handler gets when an alarm invokes its action ARN. */
export interface AlarmActionInvocation {
  actionArn: string;
  alarm: Readonly<AlarmRecord>;
  state: StateValue;
  /** The newest evaluated datapoint (a step scaling policy compares it with the alarm's threshold). */
  newestValue?: number;
}

/** Handles the actions whose ARN starts with a prefix (`arn:aws:autoscaling:`, `arn:aws:sns:`); throws when it fails. */
export type AlarmActionHandler = (invocation: AlarmActionInvocation) => Promise<void>;

/** AWS evaluates alarms every minute; periods of 10 and 30 s (high resolution) need a finer tick. */
const TICK_SECONDS = 10;
/** Auto Scaling actions are invoked again every minute while the alarm stays in the state (other actions once). */
const REPEAT_SECONDS = 60;

/**
 * Evaluates every alarm on a clock, records state changes with their reason in the history, invokes the actions
 * of the new state, and tells subscribers. Every duration (periods, the tick, the repeat of Auto Scaling actions)
 * is multiplied by the wait scale, so an alarm over 2 periods of 60 s decides in 1.2 s at AEP_LOCAL_WAIT_SCALE=0.01.
 */
export class AlarmEngine {
  private readonly listeners = new Set<(change: AlarmStateChange) => void>();
  private readonly handlers = new Map<string, AlarmActionHandler>();
  private readonly running = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private evaluating = false;

  constructor(
    private readonly alarms: AlarmStore,
    private readonly metrics: MetricStore,
    private readonly waitScale: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.evaluateAll(), Math.max(50, TICK_SECONDS * 1000 * this.waitScale));
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
  }

  onStateChange(listener: (change: AlarmStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  handleActions(arnPrefix: string, handler: AlarmActionHandler): void {
    this.handlers.set(arnPrefix, handler);
  }

  /** One evaluation of every alarm (the clock calls it; tests may too). */
  async evaluateAll(): Promise<void> {
    if (this.evaluating) return;
    this.evaluating = true;
    try {
      const now = Date.now();
      let changed = false;
      for (const alarm of [...this.alarms.alarms.values()]) {
        const periodMs = alarm.Period * 1000 * this.waitScale;
        const metric = { namespace: alarm.Namespace, name: alarm.MetricName, dimensions: alarm.Dimensions };
        const result = evaluateAlarm(alarm, (start, end) => this.metrics.points(metric, start, end), now, periodMs);
        if (result && result.state !== alarm.StateValue) {
          this.transition(alarm, result.state, result.reason, result.reasonData, result.newestValue);
          changed = true;
        } else if (this.repeatDue(alarm, now)) {
          alarm.lastActionAt = now;
          this.invokeActions(alarm, alarm.StateValue, result?.newestValue, (arn) => arn.startsWith('arn:aws:autoscaling:'));
        }
      }
      // A state change already happened (and its actions ran): a full disk must not crash the server; the next write records it.
      if (changed) await this.alarms.save().catch(() => undefined);
    } finally {
      this.evaluating = false;
    }
  }

  /** Moves an alarm to a state (evaluation or SetAlarmState): history, actions, subscribers. The caller saves. */
  transition(alarm: AlarmRecord, state: StateValue, reason: string, reasonData: string | undefined, newestValue?: number): void {
    const oldState = alarm.StateValue;
    const now = Date.now();
    Object.assign(alarm, { StateValue: state, StateReason: reason, StateReasonData: reasonData, StateUpdatedTimestamp: now, lastActionAt: now });
    if (oldState !== state) alarm.StateTransitionedTimestamp = now;
    this.alarms.record({
      AlarmName: alarm.AlarmName,
      AlarmType: 'MetricAlarm',
      Timestamp: now,
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${oldState} to ${state}`,
      HistoryData: JSON.stringify({
        version: '1.0',
        oldState: { stateValue: oldState },
        newState: { stateValue: state, stateReason: reason, ...(reasonData ? { stateReasonData: safeJson(reasonData) } : {}) },
      }),
    });
    const change: AlarmStateChange = { alarmName: alarm.AlarmName, alarmArn: alarm.AlarmArn, oldState, newState: state, reason, timestamp: new Date(now) };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A subscriber's bug must not stop the alarm clock.
      }
    }
    this.invokeActions(alarm, state, newestValue, () => true);
  }

  private repeatDue(alarm: AlarmRecord, now: number): boolean {
    const actions = this.actionsFor(alarm, alarm.StateValue);
    if (!alarm.ActionsEnabled || !actions.some((arn) => arn.startsWith('arn:aws:autoscaling:'))) return false;
    return now - (alarm.lastActionAt ?? 0) >= REPEAT_SECONDS * 1000 * this.waitScale;
  }

  private actionsFor(alarm: AlarmRecord, state: StateValue): string[] {
    return state === 'ALARM' ? alarm.AlarmActions : state === 'OK' ? alarm.OKActions : alarm.InsufficientDataActions;
  }

  private invokeActions(alarm: AlarmRecord, state: StateValue, newestValue: number | undefined, which: (arn: string) => boolean): void {
    if (!alarm.ActionsEnabled) return;
    for (const actionArn of this.actionsFor(alarm, state).filter(which)) {
      const handler = [...this.handlers.entries()].find(([prefix]) => actionArn.startsWith(prefix))?.[1];
      const work = (async () => {
        let summary: string;
        try {
          if (!handler) throw new Error('no service of the embedded AWS handles this action');
          await handler({ actionArn, alarm, state, newestValue });
          summary = `Successfully executed action ${actionArn}`;
        } catch (error) {
          summary = `Failed to execute action ${actionArn}. Received error: "${(error as Error).message}"`;
        }
        if (!this.alarms.alarms.has(alarm.AlarmName)) return;
        this.alarms.record({
          AlarmName: alarm.AlarmName,
          AlarmType: 'MetricAlarm',
          Timestamp: Date.now(),
          HistoryItemType: 'Action',
          HistorySummary: summary,
          HistoryData: JSON.stringify({ actionState: summary.startsWith('Successfully') ? 'Succeeded' : 'Failed', stateUpdateTimestamp: alarm.StateUpdatedTimestamp }),
        });
        await this.alarms.save().catch(() => undefined);
      })();
      this.running.add(work);
      void work.finally(() => this.running.delete(work));
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
