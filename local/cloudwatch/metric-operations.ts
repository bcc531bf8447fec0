import { byPeriod, isStatistic, statistic, type Datapoint, type MetricStore } from './metrics';
import { pageOf } from '../paging';
import {
  invalidNextToken,
  getMetricDataInput,
  getMetricStatisticsInput,
  invalidParameterCombination,
  invalidParameterValue,
  listMetricsInput,
  missingParameter,
  parse,
  putMetricDataInput,
  validationError,
  type Dimension,
  type MetricDatum,
} from './shapes';

/** CloudWatch's accepted magnitudes (its API reference): anything smaller (but zero) or larger is refused. */
const MIN_MAGNITUDE = 8.51592e-109;
const MAX_MAGNITUDE = 1.174271e108;
const TWO_WEEKS_MS = 14 * 24 * 3600 * 1000;
const TWO_HOURS_MS = 2 * 3600 * 1000;
const MAX_DATAPOINTS = 1440;
const RECENTLY_ACTIVE_MS = 3 * 3600 * 1000;

/** A datum as a service publishes it in-process (SageMaker's endpoint metrics): no wire validation, AWS/ allowed. */
export interface PublishedDatum {
  MetricName: string;
  Dimensions: Dimension[];
  Value: number;
  Unit?: string;
  Timestamp?: Date;
}

/** PutMetricData, GetMetricData, GetMetricStatistics and ListMetrics over the metric store. */
export function metricOperations(metrics: MetricStore) {
  return {
    PutMetricData(raw: Record<string, unknown>) {
      const input = parse(putMetricDataInput, raw);
      if (input.Namespace.startsWith('AWS/') || /[\u0000-\u001f\u007f-\uffff]/.test(input.Namespace)) {
        throw invalidParameterValue(`The value ${input.Namespace} for parameter Namespace is invalid.`);
      }
      if (!input.MetricData?.length) throw missingParameter('MetricData');
      // Every datum is checked before any is stored: a refused request stores nothing.
      const points = input.MetricData.map((datum, i) => toDatapoint(datum, `MetricData.member.${i + 1}`));
      input.MetricData.forEach((datum, i) =>
        metrics.add({ namespace: input.Namespace, name: datum.MetricName, dimensions: datum.Dimensions ?? [] }, points[i]),
      );
      return {};
    },

    GetMetricStatistics(raw: Record<string, unknown>) {
      const input = parse(getMetricStatisticsInput, raw);
      const statistics = [...(input.Statistics ?? []), ...(input.ExtendedStatistics ?? [])];
      if (statistics.length === 0) throw missingParameter('Statistics');
      for (const stat of input.ExtendedStatistics ?? []) {
        if (!/^p/.test(stat) || !isStatistic(stat)) throw invalidParameterValue(`The value ${stat} for parameter ExtendedStatistics is not a valid percentile statistic.`);
      }
      const range = timeRange(input.StartTime, input.EndTime, input.Period, 'Period');
      const points = metrics.points({ namespace: input.Namespace, name: input.MetricName, dimensions: input.Dimensions ?? [] }, range.start, range.end);
      const wanted = points.filter((p) => input.Unit === undefined || (p.unit ?? 'None') === input.Unit);
      const datapoints = [...byPeriod(wanted, input.Period * 1000)].map(([start, bucket]) => {
        const out: Record<string, unknown> = { Timestamp: new Date(start), Unit: input.Unit ?? bucket[0].unit ?? 'None' };
        for (const stat of input.Statistics ?? []) out[stat] = statistic(bucket, stat);
        if (input.ExtendedStatistics?.length) {
          out.ExtendedStatistics = Object.fromEntries(input.ExtendedStatistics.map((s) => [s, statistic(bucket, s) ?? 0]));
        }
        return out;
      });
      return { Label: input.MetricName, Datapoints: datapoints };
    },

    GetMetricData(raw: Record<string, unknown>) {
      const input = parse(getMetricDataInput, raw);
      const ids = new Set<string>();
      input.MetricDataQueries.forEach((query, i) => {
        const where = `MetricDataQueries.member.${i + 1}`;
        if (!/^[a-z][a-zA-Z0-9_]*$/.test(query.Id)) throw validationError(`Invalid metric data query id: ${query.Id}. The first character must be a lower-case letter, and the rest letters, digits or underscores.`);
        if (ids.has(query.Id)) throw validationError(`The value ${query.Id} for parameter ${where}.Id is not unique.`);
        ids.add(query.Id);
        if (query.Expression !== undefined) throw validationError(`${where}.Expression: metric math is not supported by the embedded CloudWatch; use MetricStat.`);
        if (!query.MetricStat) throw missingParameter(`${where}.MetricStat`);
        if (!query.MetricStat.Metric.Namespace || !query.MetricStat.Metric.MetricName) throw missingParameter(`${where}.MetricStat.Metric.${query.MetricStat.Metric.Namespace ? 'MetricName' : 'Namespace'}`);
        if (!isStatistic(query.MetricStat.Stat)) throw validationError(`The value ${query.MetricStat.Stat} for parameter ${where}.MetricStat.Stat is not a valid statistic.`);
        validPeriod(query.MetricStat.Period, `${where}.MetricStat.Period`);
      });
      if (input.StartTime.getTime() >= input.EndTime.getTime()) throw validationError('The parameter StartTime must be less than the parameter EndTime.');
      const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
      const results = input.MetricDataQueries.filter((q) => q.ReturnData !== false).map((query) => {
        const stat = query.MetricStat!;
        const periodMs = stat.Period * 1000;
        const start = Math.floor(input.StartTime.getTime() / periodMs) * periodMs;
        const points = metrics
          .points({ namespace: stat.Metric.Namespace!, name: stat.Metric.MetricName!, dimensions: stat.Metric.Dimensions ?? [] }, start, input.EndTime.getTime())
          .filter((p) => stat.Unit === undefined || (p.unit ?? 'None') === stat.Unit);
        const rows = [...byPeriod(points, periodMs)]
          .map(([t, bucket]) => ({ t, v: statistic(bucket, stat.Stat) }))
          .filter((r): r is { t: number; v: number } => r.v !== undefined)
          .sort((a, b) => (descending ? b.t - a.t : a.t - b.t))
          .slice(0, input.MaxDatapoints ?? 100_800);
        return {
          Id: query.Id,
          Label: query.Label ?? stat.Metric.MetricName,
          Timestamps: rows.map((r) => new Date(r.t)),
          Values: rows.map((r) => r.v),
          StatusCode: 'Complete',
        };
      });
      return { MetricDataResults: results, Messages: [] };
    },

    ListMetrics(raw: Record<string, unknown>) {
      const input = parse(listMetricsInput, raw);
      const now = Date.now();
      const matching = metrics
        .metrics()
        .filter((m) => input.Namespace === undefined || m.namespace === input.Namespace)
        .filter((m) => input.MetricName === undefined || m.name === input.MetricName)
        .filter((m) => (input.Dimensions ?? []).every((f) => m.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))))
        .filter((m) => input.RecentlyActive === undefined || now - m.lastPut <= RECENTLY_ACTIVE_MS)
        .sort((a, b) => (a.namespace + a.name < b.namespace + b.name ? -1 : 1));
      const { page, NextToken } = pageOf(matching, input.NextToken, 500, invalidNextToken);
      return { Metrics: page.map((m) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: m.dimensions })), NextToken };
    },
  };
}

/** A published datum as the store keeps it (in-process publishers skip the wire checks). */
export function publishedPoint(datum: PublishedDatum): Datapoint {
  return { t: (datum.Timestamp ?? new Date()).getTime(), sum: datum.Value, count: 1, min: datum.Value, max: datum.Value, unit: datum.Unit, values: [datum.Value] };
}

function toDatapoint(datum: MetricDatum, where: string): Datapoint {
  const given = [datum.Value !== undefined && 'Value', datum.StatisticValues && 'StatisticValues', datum.Values && 'Values'].filter(Boolean) as string[];
  if (given.length > 1) {
    throw invalidParameterCombination(`The parameters ${where}.${given[0]} and ${where}.${given[1]} are mutually exclusive and you have specified both.`);
  }
  if (given.length === 0) throw missingParameter(`${where}.Value`);
  const dimensionNames = (datum.Dimensions ?? []).map((d) => d.Name);
  if (new Set(dimensionNames).size !== dimensionNames.length) throw invalidParameterValue(`The collection ${where}.Dimensions must not contain duplicate dimension names.`);
  const t = (datum.Timestamp ?? new Date()).getTime();
  if (t < Date.now() - TWO_WEEKS_MS) throw invalidParameterValue(`The parameter ${where}.Timestamp must specify a time no more than two weeks in the past.`);
  if (t > Date.now() + TWO_HOURS_MS) throw invalidParameterValue(`The parameter ${where}.Timestamp must specify a time no more than two hours in the future.`);
  const checkMagnitude = (v: number, field: string) => {
    const m = Math.abs(v);
    if (m !== 0 && (m < MIN_MAGNITUDE || m > MAX_MAGNITUDE)) throw invalidParameterValue(`The value ${v} for parameter ${where}.${field} is invalid.`);
  };
  if (datum.Value !== undefined) {
    checkMagnitude(datum.Value, 'Value');
    return { t, sum: datum.Value, count: 1, min: datum.Value, max: datum.Value, unit: datum.Unit, values: [datum.Value] };
  }
  if (datum.StatisticValues) {
    const s = datum.StatisticValues;
    if (s.SampleCount <= 0 || s.Minimum > s.Maximum) throw invalidParameterValue(`The values of ${where}.StatisticValues are inconsistent: SampleCount must be positive and Minimum not above Maximum.`);
    return { t, sum: s.Sum, count: s.SampleCount, min: s.Minimum, max: s.Maximum, unit: datum.Unit };
  }
  const values = datum.Values!;
  const counts = datum.Counts ?? values.map(() => 1);
  if (counts.length !== values.length) throw invalidParameterValue(`The parameters ${where}.Values and ${where}.Counts must be arrays of the same length.`);
  if (values.length === 0) throw missingParameter(`${where}.Values`);
  values.forEach((v) => checkMagnitude(v, 'Values'));
  const expanded = values.flatMap((v, i) => Array<number>(Math.max(1, Math.round(counts[i]))).fill(v));
  return {
    t,
    sum: values.reduce((n, v, i) => n + v * counts[i], 0),
    count: counts.reduce((n, c) => n + c, 0),
    min: Math.min(...values),
    max: Math.max(...values),
    unit: datum.Unit,
    values: expanded,
  };
}

/** GetMetricStatistics/GetMetricData periods: 1, 5, 10, 30 or a multiple of 60 seconds. */
function validPeriod(period: number, name: string): void {
  if (![1, 5, 10, 30].includes(period) && period % 60 !== 0) throw invalidParameterValue(`The parameter ${name} must be 1, 5, 10, 30 or a multiple of 60.`);
}

function timeRange(startTime: Date, endTime: Date, period: number, name: string): { start: number; end: number } {
  validPeriod(period, name);
  const periodMs = period * 1000;
  const start = Math.floor(startTime.getTime() / periodMs) * periodMs;
  const end = endTime.getTime();
  if (start >= end) throw invalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
  const requested = Math.ceil((end - start) / periodMs);
  if (requested > MAX_DATAPOINTS) {
    throw invalidParameterCombination(
      `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  return { start, end };
}

