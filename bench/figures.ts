import { round } from './stats';

/** A performance goal: the value must be at most (≤) or at least (≥) the target. */
export interface Goal {
  comparison: '<=' | '>=';
  target: number;
}

/** One reported number: what it is, its value, and — when it has one — its goal and whether this run met it. */
export interface Figure {
  /** Stable name of the figure (`overhead.ratio`): what results.json readers and the README key on. */
  id: string;
  /** The measurement it belongs to (e.g. "orchestration-overhead"). */
  measurement: string;
  name: string;
  value: number;
  unit: string;
  goal?: Goal;
  met?: boolean;
  note?: string;
}

/** What every measurement returns: its figures, plus the raw data behind them for results.json. */
export interface MeasurementResult {
  figures: Figure[];
  details: Record<string, unknown>;
}

export function figure(id: string, measurement: string, name: string, value: number, unit: string, goal?: Goal, note?: string): Figure {
  const rounded = round(value);
  return {
    id,
    measurement,
    name,
    value: rounded,
    unit,
    ...(goal ? { goal, met: meets(value, goal) } : {}),
    ...(note ? { note } : {}),
  };
}

export const atMost = (target: number): Goal => ({ comparison: '<=', target });
export const atLeast = (target: number): Goal => ({ comparison: '>=', target });

export function meets(value: number, goal: Goal): boolean {
  return goal.comparison === '<=' ? value <= goal.target : value >= goal.target;
}
