import { appendFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { ensureDir, KeyedMutex, writeFileAtomic } from '../data-dir';
import type { Dimension } from './shapes';

/** One datapoint as CloudWatch keeps it: a statistic set, plus the raw values when it was sent as values (percentiles). */
export interface Datapoint {
  /** Epoch milliseconds. */
  t: number;
  sum: number;
  count: number;
  min: number;
  max: number;
  unit?: string;
  values?: number[];
}

export interface MetricIdentity {
  namespace: string;
  name: string;
  /** Sorted by name: the same set of dimensions is the same metric whatever order a client sent. */
  dimensions: Dimension[];
}

interface Series extends MetricIdentity {
  points: Datapoint[];
  lastPut: number;
}

const storedPoint = z.object({
  ns: z.string(),
  n: z.string(),
  d: z.array(z.object({ Name: z.string(), Value: z.string() })),
  p: z.object({
    t: z.number(),
    sum: z.number(),
    count: z.number(),
    min: z.number(),
    max: z.number(),
    unit: z.string().optional(),
    values: z.array(z.number()).optional(),
  }),
});

/** CloudWatch keeps datapoints up to 15 months; locally two weeks is plenty (PutMetricData accepts two weeks back). */
const RETENTION_MS = 14 * 24 * 3600 * 1000;
/** Bounds memory when a tiny wait scale publishes many datapoints a second for hours. */
const MAX_POINTS_PER_SERIES = 50_000;

export const metricKey = (m: MetricIdentity) => JSON.stringify([m.namespace, m.name, sortDimensions(m.dimensions)]);
export const sortDimensions = (dimensions: readonly Dimension[] = []) => [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));

/**
 * Every metric's datapoints, in memory and appended to `<dataDir>/cloudwatch/datapoints.jsonl` (compacted on start),
 * so metrics and the alarms that watch them survive a restart.
 */
export class MetricStore {
  private readonly series = new Map<string, Series>();
  private readonly file: string;
  private readonly writes = new KeyedMutex();
  private pending: string[] = [];

  constructor(dataDir: string) {
    this.file = join(ensureDir(join(dataDir, 'cloudwatch')), 'datapoints.jsonl');
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    const oldest = Date.now() - RETENTION_MS;
    let dropped = false;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const parsed = storedPoint.safeParse(JSON.parse(line));
        if (parsed.success && parsed.data.p.t >= oldest) this.insert({ namespace: parsed.data.ns, name: parsed.data.n, dimensions: parsed.data.d }, parsed.data.p);
        else dropped = true;
      } catch {
        dropped = true; // a line torn by a crash mid-append
      }
    }
    if (dropped) void this.writes.run('file', () => writeFileAtomic(this.file, this.lines().join('')));
  }

  /** Records datapoints; persisted in the background (flush() waits for it). */
  add(metric: MetricIdentity, point: Datapoint): void {
    const series = this.insert(metric, point);
    this.pending.push(`${JSON.stringify({ ns: series.namespace, n: series.name, d: series.dimensions, p: point })}\n`);
    if (this.pending.length === 1) void this.flush();
  }

  async flush(): Promise<void> {
    await this.writes.run('file', async () => {
      const lines = this.pending.join('');
      this.pending = [];
      if (lines) await appendFile(this.file, lines);
    });
  }

  /** Datapoints of one metric (exact dimensions) with start ≤ t < end, oldest first. */
  points(metric: MetricIdentity, start: number, end: number): Datapoint[] {
    const points = this.series.get(metricKey(metric))?.points ?? [];
    return points.slice(firstAtOrAfter(points, start), firstAtOrAfter(points, end));
  }

  /** Every metric, for ListMetrics and DescribeAlarmsForMetric. */
  metrics(): Array<MetricIdentity & { lastPut: number }> {
    return [...this.series.values()].map(({ namespace, name, dimensions, lastPut }) => ({ namespace, name, dimensions, lastPut }));
  }

  private insert(metric: MetricIdentity, point: Datapoint): Series {
    const key = metricKey(metric);
    let series = this.series.get(key);
    if (!series) {
      series = { namespace: metric.namespace, name: metric.name, dimensions: sortDimensions(metric.dimensions), points: [], lastPut: 0 };
      this.series.set(key, series);
    }
    const points = series.points;
    let i = points.length;
    while (i > 0 && points[i - 1].t > point.t) i--;
    points.splice(i, 0, point);
    if (points.length > MAX_POINTS_PER_SERIES) points.splice(0, points.length - MAX_POINTS_PER_SERIES);
    series.lastPut = Math.max(series.lastPut, Date.now());
    return series;
  }

  private lines(): string[] {
    return [...this.series.values()].flatMap((s) => s.points.map((p) => `${JSON.stringify({ ns: s.namespace, n: s.name, d: s.dimensions, p })}\n`));
  }
}

/**
 * A statistic over datapoints: SampleCount, Average, Sum, Minimum, Maximum, or a percentile `pNN[.NN]` (from the
 * datapoints sent as raw values). Undefined when there is no data, as CloudWatch returns no value for the period.
 */
export function statistic(points: readonly Datapoint[], stat: string): number | undefined {
  if (points.length === 0) return undefined;
  const count = points.reduce((n, p) => n + p.count, 0);
  switch (stat) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return points.reduce((n, p) => n + p.sum, 0);
    case 'Average':
      return count === 0 ? undefined : points.reduce((n, p) => n + p.sum, 0) / count;
    case 'Minimum':
      return Math.min(...points.map((p) => p.min));
    case 'Maximum':
      return Math.max(...points.map((p) => p.max));
  }
  const percentile = PERCENTILE.exec(stat);
  if (!percentile) return undefined;
  const values = points.flatMap((p) => p.values ?? []).sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  const rank = Math.ceil((Number(percentile[1]) / 100) * values.length);
  return values[Math.min(values.length - 1, Math.max(0, rank - 1))];
}

export const PERCENTILE = /^p(\d{1,2}(?:\.\d{1,2})?|100)$/;
export const isStatistic = (stat: string) => ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'].includes(stat) || PERCENTILE.test(stat);

/** Datapoints grouped into periods aligned on the epoch (CloudWatch rounds timestamps down to the period). */
export function byPeriod(points: readonly Datapoint[], periodMs: number): Map<number, Datapoint[]> {
  const buckets = new Map<number, Datapoint[]>();
  for (const p of points) {
    const start = Math.floor(p.t / periodMs) * periodMs;
    const bucket = buckets.get(start);
    if (bucket) bucket.push(p);
    else buckets.set(start, [p]);
  }
  return buckets;
}

/** Binary search in points sorted by time: the index of the first one at or after `t`. */
function firstAtOrAfter(points: readonly Datapoint[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
