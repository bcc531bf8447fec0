import { AwsError } from '../aws-error';
import type { AlarmEngine } from './alarm-engine';
import { SUPPORTED_COMPARISONS } from './alarm-evaluation';
import type { AlarmRecord, AlarmStore, HistoryItem } from './alarm-store';
import { isStatistic, metricKey } from './metrics';
import { pageOf } from '../paging';
import {
  invalidNextToken,
  deleteAlarmsInput,
  describeAlarmHistoryInput,
  describeAlarmsForMetricInput,
  describeAlarmsInput,
  invalidParameterCombination,
  parse,
  putMetricAlarmInput,
  resourceNotFound,
  setAlarmStateInput,
  validationError,
  type PutMetricAlarmInput,
} from './shapes';

const TREAT_MISSING = ['breaching', 'notBreaching', 'ignore', 'missing'];
const ACTION_ARN = /^arn:aws[a-z-]*:(sns|autoscaling|automate|swf|lambda|ssm|ssm-incidents|ec2|opsinsights):/;
const ONE_DAY_SECONDS = 86_400;

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/** The alarm operations, and `putAlarm`/`deleteAlarms` for in-process callers (Application Auto Scaling's alarms). */
export function alarmOperations(store: AlarmStore, engine: AlarmEngine, region: string, accountId: string) {
  /** Validates and stores an alarm: a new one starts INSUFFICIENT_DATA; an update keeps its state, as in CloudWatch. */
  async function putAlarm(input: PutMetricAlarmInput): Promise<AlarmRecord> {
    const record = checkAlarm(input, region, accountId);
    const existing = store.alarms.get(input.AlarmName);
    const now = Date.now();
    if (existing) {
      Object.assign(record, {
        StateValue: existing.StateValue,
        StateReason: existing.StateReason,
        StateReasonData: existing.StateReasonData,
        StateUpdatedTimestamp: existing.StateUpdatedTimestamp,
        StateTransitionedTimestamp: existing.StateTransitionedTimestamp,
      });
    }
    const item: HistoryItem = {
      AlarmName: record.AlarmName,
      AlarmType: 'MetricAlarm',
      Timestamp: now,
      HistoryItemType: 'ConfigurationUpdate',
      HistorySummary: `Alarm "${record.AlarmName}" ${existing ? 'updated' : 'created'}`,
      HistoryData: JSON.stringify({ version: '1.0', type: existing ? 'Update' : 'Create', updatedAlarm: describe(record) }, epochMillis),
    };
    await store.commit(
      () => {
        store.alarms.set(record.AlarmName, record);
        store.record(item);
      },
      () => {
        if (existing) store.alarms.set(record.AlarmName, existing);
        else store.alarms.delete(record.AlarmName);
        store.forget(item);
      },
    );
    return record;
  }

  async function deleteAlarms(names: readonly string[]): Promise<void> {
    const missing = names.filter((name) => !store.alarms.has(name));
    if (missing.length) throw resourceNotFound(`${missing.length} of the alarms to delete ${missing.length === 1 ? 'does' : 'do'} not exist: ${missing.join(', ')}`);
    const deleted = names.map((name) => store.alarms.get(name)!);
    await store.commit(
      () => names.forEach((name) => store.alarms.delete(name)),
      () => deleted.forEach((alarm) => store.alarms.set(alarm.AlarmName, alarm)),
    );
  }

  const operations = {
    async PutMetricAlarm(raw: Record<string, unknown>) {
      await putAlarm(parse(putMetricAlarmInput, raw));
      return {};
    },

    DescribeAlarms(raw: Record<string, unknown>) {
      const input = parse(describeAlarmsInput, raw);
      if (input.AlarmNames && input.AlarmNamePrefix) throw invalidParameterCombination('AlarmNames and AlarmNamePrefix cannot be specified together.');
      const wantMetric = !input.AlarmTypes || input.AlarmTypes.includes('MetricAlarm');
      const alarms = wantMetric
        ? [...store.alarms.values()]
            .filter((a) => !input.AlarmNames || input.AlarmNames.includes(a.AlarmName))
            .filter((a) => !input.AlarmNamePrefix || a.AlarmName.startsWith(input.AlarmNamePrefix))
            .filter((a) => !input.StateValue || a.StateValue === input.StateValue)
            .filter((a) => !input.ActionPrefix || [...a.AlarmActions, ...a.OKActions, ...a.InsufficientDataActions].some((arn) => arn.startsWith(input.ActionPrefix!)))
            .sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : 1))
        : [];
      const { page, NextToken } = pageOf(alarms, input.NextToken, input.MaxRecords ?? 50, invalidNextToken);
      return { MetricAlarms: page.map(describe), CompositeAlarms: [], NextToken };
    },

    DescribeAlarmsForMetric(raw: Record<string, unknown>) {
      const input = parse(describeAlarmsForMetricInput, raw);
      const key = input.Dimensions ? metricKey({ namespace: input.Namespace, name: input.MetricName, dimensions: input.Dimensions }) : undefined;
      const alarms = [...store.alarms.values()]
        .filter((a) => a.Namespace === input.Namespace && a.MetricName === input.MetricName)
        .filter((a) => !key || metricKey({ namespace: a.Namespace, name: a.MetricName, dimensions: a.Dimensions }) === key)
        .filter((a) => !input.Statistic || a.Statistic === input.Statistic)
        .filter((a) => !input.ExtendedStatistic || a.ExtendedStatistic === input.ExtendedStatistic)
        .filter((a) => !input.Period || a.Period === input.Period)
        .filter((a) => !input.Unit || a.Unit === input.Unit);
      return { MetricAlarms: alarms.map(describe) };
    },

    async SetAlarmState(raw: Record<string, unknown>) {
      const input = parse(setAlarmStateInput, raw);
      const alarm = store.alarms.get(input.AlarmName);
      if (!alarm) throw resourceNotFound(`Alarm ${input.AlarmName} not found`);
      if (input.StateReasonData !== undefined) {
        try {
          JSON.parse(input.StateReasonData);
        } catch {
          throw new AwsError('InvalidFormat', 'StateReasonData is not valid JSON.', 400);
        }
      }
      engine.transition(alarm, input.StateValue, input.StateReason, input.StateReasonData);
      await store.save();
      return {};
    },

    async DeleteAlarms(raw: Record<string, unknown>) {
      await deleteAlarms(parse(deleteAlarmsInput, raw).AlarmNames);
      return {};
    },

    DescribeAlarmHistory(raw: Record<string, unknown>) {
      const input = parse(describeAlarmHistoryInput, raw);
      const ascending = input.ScanBy === 'TimestampAscending';
      const wantMetric = !input.AlarmTypes || input.AlarmTypes.includes('MetricAlarm');
      const items = store.history
        .filter(() => wantMetric)
        .filter((h) => !input.AlarmName || h.AlarmName === input.AlarmName)
        .filter((h) => !input.HistoryItemType || h.HistoryItemType === input.HistoryItemType)
        .filter((h) => !input.StartDate || h.Timestamp >= input.StartDate.getTime())
        .filter((h) => !input.EndDate || h.Timestamp <= input.EndDate.getTime())
        .sort((a, b) => (ascending ? a.Timestamp - b.Timestamp : b.Timestamp - a.Timestamp));
      const { page, NextToken } = pageOf(items, input.NextToken, input.MaxRecords ?? 100, invalidNextToken);
      return { AlarmHistoryItems: page.map((h) => ({ ...h, Timestamp: new Date(h.Timestamp) })), NextToken };
    },
  };

  return { operations, putAlarm, deleteAlarms };
}

/** An alarm on the wire (DescribeAlarms' MetricAlarm). */
export function describe(a: AlarmRecord) {
  return {
    AlarmName: a.AlarmName,
    AlarmArn: a.AlarmArn,
    AlarmDescription: a.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: date(a.AlarmConfigurationUpdatedTimestamp),
    ActionsEnabled: a.ActionsEnabled,
    OKActions: a.OKActions,
    AlarmActions: a.AlarmActions,
    InsufficientDataActions: a.InsufficientDataActions,
    StateValue: a.StateValue,
    StateReason: a.StateReason,
    StateReasonData: a.StateReasonData,
    StateUpdatedTimestamp: date(a.StateUpdatedTimestamp),
    MetricName: a.MetricName,
    Namespace: a.Namespace,
    Statistic: a.Statistic,
    ExtendedStatistic: a.ExtendedStatistic,
    Dimensions: a.Dimensions,
    Period: a.Period,
    Unit: a.Unit,
    EvaluationPeriods: a.EvaluationPeriods,
    DatapointsToAlarm: a.DatapointsToAlarm,
    Threshold: a.Threshold,
    ComparisonOperator: a.ComparisonOperator,
    TreatMissingData: a.TreatMissingData,
    EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile,
    StateTransitionedTimestamp: date(a.StateTransitionedTimestamp),
  };
}

/** PutMetricAlarm's checks beyond the shapes, in CloudWatch's words; returns the alarm as it would be stored. */
function checkAlarm(input: PutMetricAlarmInput, region: string, accountId: string): AlarmRecord {
  if (input.Metrics !== undefined) throw validationError('Metric math alarms (Metrics) are not supported by the embedded CloudWatch; use MetricName, Namespace, Statistic and Period.');
  if (input.Namespace === undefined) throw validationError("1 validation error detected: Value null at 'namespace' failed to satisfy constraint: Member must not be null");
  if (input.MetricName === undefined) throw validationError("1 validation error detected: Value null at 'metricName' failed to satisfy constraint: Member must not be null");
  if ((input.Statistic === undefined) === (input.ExtendedStatistic === undefined)) {
    throw invalidParameterCombination('Exactly one of Statistic and ExtendedStatistic must be specified.');
  }
  if (input.ExtendedStatistic !== undefined && (!input.ExtendedStatistic.startsWith('p') || !isStatistic(input.ExtendedStatistic))) {
    throw validationError(`The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is not supported.`);
  }
  if (input.Period === undefined) throw validationError('Period must not be null');
  if (![10, 20, 30].includes(input.Period) && input.Period % 60 !== 0) throw validationError('Period must be 10, 20, 30 or a multiple of 60');
  if (input.Period * input.EvaluationPeriods > ONE_DAY_SECONDS) {
    throw validationError('Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)');
  }
  if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm > input.EvaluationPeriods) {
    throw validationError('DatapointsToAlarm must be less than or equal to EvaluationPeriods');
  }
  if (!SUPPORTED_COMPARISONS.includes(input.ComparisonOperator)) {
    throw validationError(`ComparisonOperator ${input.ComparisonOperator} needs an anomaly detection band (ThresholdMetricId), which the embedded CloudWatch does not support.`);
  }
  if (input.Threshold === undefined) throw validationError('Threshold must not be null');
  if (input.TreatMissingData !== undefined && !TREAT_MISSING.includes(input.TreatMissingData)) {
    throw validationError(`Value ${input.TreatMissingData} for TreatMissingData is not valid; use one of ${TREAT_MISSING.join(', ')}`);
  }
  for (const arn of [...(input.AlarmActions ?? []), ...(input.OKActions ?? []), ...(input.InsufficientDataActions ?? [])]) {
    if (!ACTION_ARN.test(arn)) throw validationError(`Invalid arn syntax: ${arn}`);
  }
  const now = Date.now();
  return {
    AlarmName: input.AlarmName,
    AlarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${input.AlarmName}`,
    AlarmDescription: input.AlarmDescription,
    ActionsEnabled: input.ActionsEnabled ?? true,
    OKActions: input.OKActions ?? [],
    AlarmActions: input.AlarmActions ?? [],
    InsufficientDataActions: input.InsufficientDataActions ?? [],
    StateValue: 'INSUFFICIENT_DATA',
    StateReason: 'Unchecked: Initial alarm creation',
    StateUpdatedTimestamp: now,
    StateTransitionedTimestamp: now,
    AlarmConfigurationUpdatedTimestamp: now,
    MetricName: input.MetricName,
    Namespace: input.Namespace,
    Statistic: input.Statistic,
    ExtendedStatistic: input.ExtendedStatistic,
    Dimensions: input.Dimensions ?? [],
    Period: input.Period,
    Unit: input.Unit,
    EvaluationPeriods: input.EvaluationPeriods,
    DatapointsToAlarm: input.DatapointsToAlarm,
    Threshold: input.Threshold,
    ComparisonOperator: input.ComparisonOperator,
    TreatMissingData: input.TreatMissingData,
    EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile,
    Tags: input.Tags ?? [],
  };
}

function epochMillis(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.toISOString() : value;
}

