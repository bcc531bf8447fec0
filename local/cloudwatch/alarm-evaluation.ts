import type { AlarmRecord } from './alarm-store';
import { statistic, type Datapoint } from './metrics';
import type { StateValue } from './shapes';

export interface Evaluation {
  state: StateValue;
  reason: string;
  /** StateReasonData, the JSON CloudWatch attaches to a threshold evaluation. */
  reasonData: string;
  /** The newest datapoint evaluated (what a step scaling policy compares against the threshold). */
  newestValue?: number;
}

const COMPARISONS: Record<string, { test: (v: number, t: number) => boolean; words: string }> = {
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: 'greater than or equal to' },
  GreaterThanThreshold: { test: (v, t) => v > t, words: 'greater than' },
  LessThanThreshold: { test: (v, t) => v < t, words: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: 'less than or equal to' },
};

export const SUPPORTED_COMPARISONS = Object.keys(COMPARISONS);

/**
 * Evaluates a metric alarm as CloudWatch does, over its last EvaluationPeriods whole periods (aligned on the epoch,
 * the period in progress excluded): a period breaches when its statistic crosses the threshold; the alarm is in
 * ALARM when at least DatapointsToAlarm periods breach. Periods without data follow TreatMissingData: `missing`
 * (default) leaves them out and gives INSUFFICIENT_DATA when all are missing, `ignore` keeps the current state
 * then, `breaching` / `notBreaching` count them as such.
 * `periodMs` is the alarm's Period in this clock (Period × AEP_LOCAL_WAIT_SCALE).
 * Returns undefined when the state should stay as it is.
 */
export function evaluateAlarm(
  alarm: AlarmRecord,
  points: (start: number, end: number) => Datapoint[],
  now: number,
  periodMs: number,
): Evaluation | undefined {
  const comparison = COMPARISONS[alarm.ComparisonOperator];
  if (!comparison) return undefined;
  const stat = alarm.Statistic ?? alarm.ExtendedStatistic ?? 'Average';
  const n = alarm.EvaluationPeriods;
  const m = alarm.DatapointsToAlarm ?? n;
  const treat = alarm.TreatMissingData ?? 'missing';
  const current = Math.floor(now / periodMs);

  // Newest first, as CloudWatch lists them in its reason.
  const periods: Array<{ start: number; value?: number }> = [];
  for (let i = 1; i <= n; i++) {
    const start = (current - i) * periodMs;
    const inPeriod = points(start, start + periodMs).filter((p) => alarm.Unit === undefined || p.unit === undefined || p.unit === alarm.Unit);
    periods.push({ start, value: statistic(inPeriod, stat) });
  }
  const present = periods.filter((p) => p.value !== undefined);
  const missing = n - present.length;
  const breaching = present.filter((p) => comparison.test(p.value!, alarm.Threshold)).length + (treat === 'breaching' ? missing : 0);
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: new Date(now).toISOString(),
    startDate: new Date(periods[periods.length - 1].start).toISOString(),
    statistic: stat,
    period: alarm.Period,
    recentDatapoints: [...present].reverse().map((p) => p.value),
    threshold: alarm.Threshold,
    evaluatedDatapoints: present.map((p) => ({ timestamp: new Date(p.start).toISOString(), sampleCount: 1, value: p.value })),
  });
  const newestValue = present[0]?.value;

  if (present.length === 0 && (treat === 'missing' || treat === 'ignore')) {
    if (treat === 'ignore') return undefined;
    return { state: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${n} datapoint${n === 1 ? ' was' : 's were'} unknown.`, reasonData };
  }
  const shown = present.map((p) => `${formatValue(p.value!)} (${formatTime(p.start)})`).join(', ');
  const counted = treat === 'breaching' || treat === 'notBreaching' ? n : present.length;
  if (breaching >= m) {
    return {
      state: 'ALARM',
      reason: `Threshold Crossed: ${breaching} out of the last ${counted} datapoints [${shown}] ${breaching === 1 ? 'was' : 'were'} ${comparison.words} the threshold (${formatValue(alarm.Threshold)}) (minimum ${m} datapoint${m === 1 ? '' : 's'} for OK -> ALARM transition).`,
      reasonData,
      newestValue,
    };
  }
  const notBreaching = counted - breaching;
  return {
    state: 'OK',
    reason: `Threshold Crossed: ${notBreaching} out of the last ${counted} datapoints [${shown}] ${notBreaching === 1 ? 'was' : 'were'} not ${comparison.words} the threshold (${formatValue(alarm.Threshold)}) (minimum 1 datapoint for ALARM -> OK transition).`,
    reasonData,
    newestValue,
  };
}

const formatValue = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** CloudWatch's reason timestamps: `dd/MM/yy HH:mm:ss` in UTC. */
function formatTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
