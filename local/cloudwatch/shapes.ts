import * as z from 'zod';
import { AwsError } from '../aws-error';
import { booleanInput, enumInput, integerInput, listInput, numberInput, parseOrRefuse, stringInput, timestampInput } from '../validation-errors';

/** CloudWatch's input shapes, as its API reference constrains them. */

export const UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits',
  'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second',
  'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second',
  'Terabits/Second', 'Count/Second', 'None',
] as const;
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export const COMPARISON_OPERATORS = [
  'GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold',
  'LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold',
] as const;
export const STATE_VALUES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type StateValue = (typeof STATE_VALUES)[number];
export type Statistic = (typeof STATISTICS)[number];

/** CloudWatch's generic refusal of a constraint violation (Query code `ValidationError`). */
export const validationError = (message: string) => new AwsError('ValidationError', message, 400);
export const invalidParameterValue = (message: string) => new AwsError('InvalidParameterValue', message, 400);
export const invalidParameterCombination = (message: string) => new AwsError('InvalidParameterCombination', message, 400);
export const missingParameter = (name: string) => new AwsError('MissingParameter', `The parameter ${name} is required.`, 400);
export const resourceNotFound = (message: string) => new AwsError('ResourceNotFound', message, 404);
export const invalidNextToken = () => new AwsError('InvalidNextToken', 'The service cannot complete the request: the next token is not valid.', 400);

export const parse = <T extends z.ZodType>(schema: T, input: unknown): z.infer<T> => parseOrRefuse(schema, input, validationError);

const dimension = z.object({ Name: stringInput(1, 255), Value: stringInput(1, 1024) });
export type Dimension = z.infer<typeof dimension>;
const dimensions = listInput(dimension, 30).optional();
const unit = enumInput(UNITS).optional();

const metricDatum = z.object({
  MetricName: stringInput(1, 255),
  Dimensions: dimensions,
  Timestamp: timestampInput().optional(),
  Value: numberInput().optional(),
  StatisticValues: z
    .object({ SampleCount: numberInput(), Sum: numberInput(), Minimum: numberInput(), Maximum: numberInput() })
    .optional(),
  Values: listInput(numberInput(), 150).optional(),
  Counts: listInput(numberInput(), 150).optional(),
  Unit: unit,
  StorageResolution: integerInput(1).optional(),
});
export type MetricDatum = z.infer<typeof metricDatum>;

export const putMetricDataInput = z.object({
  Namespace: stringInput(1, 255),
  MetricData: listInput(metricDatum, 1000).optional(),
  StrictEntityValidation: booleanInput().optional(),
});

const metric = z.object({ Namespace: stringInput(1, 255).optional(), MetricName: stringInput(1, 255).optional(), Dimensions: dimensions });

export const getMetricDataInput = z.object({
  MetricDataQueries: listInput(
    z.object({
      Id: stringInput(1, 255),
      MetricStat: z.object({ Metric: metric, Period: integerInput(1), Stat: z.string(), Unit: unit }).optional(),
      Expression: stringInput(1, 2048).optional(),
      Label: z.string().optional(),
      ReturnData: booleanInput().optional(),
      Period: integerInput(1).optional(),
      AccountId: z.string().optional(),
    }),
    500,
  ),
  StartTime: timestampInput(),
  EndTime: timestampInput(),
  NextToken: z.string().optional(),
  ScanBy: enumInput(['TimestampDescending', 'TimestampAscending'] as const).optional(),
  MaxDatapoints: integerInput(1).optional(),
  LabelOptions: z.object({ Timezone: z.string().optional() }).optional(),
});

export const getMetricStatisticsInput = z.object({
  Namespace: stringInput(1, 255),
  MetricName: stringInput(1, 255),
  Dimensions: dimensions,
  StartTime: timestampInput(),
  EndTime: timestampInput(),
  Period: integerInput(1),
  Statistics: listInput(enumInput(STATISTICS), 5, 1).optional(),
  ExtendedStatistics: listInput(z.string(), 10, 1).optional(),
  Unit: unit,
});

export const listMetricsInput = z.object({
  Namespace: stringInput(1, 255).optional(),
  MetricName: stringInput(1, 255).optional(),
  Dimensions: listInput(z.object({ Name: stringInput(1, 255), Value: stringInput(1, 1024).optional() }), 10).optional(),
  NextToken: z.string().optional(),
  RecentlyActive: enumInput(['PT3H'] as const).optional(),
  IncludeLinkedAccounts: booleanInput().optional(),
  OwningAccount: z.string().optional(),
});

const actions = listInput(stringInput(1, 1024), 5).optional();
export const putMetricAlarmInput = z.object({
  AlarmName: stringInput(1, 255),
  AlarmDescription: stringInput(0, 1024).optional(),
  ActionsEnabled: booleanInput().optional(),
  OKActions: actions,
  AlarmActions: actions,
  InsufficientDataActions: actions,
  MetricName: stringInput(1, 255).optional(),
  Namespace: stringInput(1, 255).optional(),
  Statistic: enumInput(STATISTICS).optional(),
  ExtendedStatistic: z.string().optional(),
  Dimensions: dimensions,
  Period: integerInput(1).optional(),
  Unit: unit,
  EvaluationPeriods: integerInput(1),
  DatapointsToAlarm: integerInput(1).optional(),
  Threshold: numberInput().optional(),
  ComparisonOperator: enumInput(COMPARISON_OPERATORS),
  TreatMissingData: stringInput(1, 255).optional(),
  EvaluateLowSampleCountPercentile: stringInput(1, 255).optional(),
  Metrics: z.array(z.unknown()).optional(),
  Tags: listInput(z.object({ Key: stringInput(1, 128), Value: stringInput(0, 256) }), 50).optional(),
  ThresholdMetricId: z.string().optional(),
});
export type PutMetricAlarmInput = z.infer<typeof putMetricAlarmInput>;

export const describeAlarmsInput = z.object({
  AlarmNames: listInput(stringInput(1, 255), 100).optional(),
  AlarmNamePrefix: stringInput(1, 255).optional(),
  AlarmTypes: listInput(enumInput(['CompositeAlarm', 'MetricAlarm'] as const), 2).optional(),
  ChildrenOfAlarmName: z.string().optional(),
  ParentsOfAlarmName: z.string().optional(),
  StateValue: enumInput(STATE_VALUES).optional(),
  ActionPrefix: stringInput(1, 1024).optional(),
  MaxRecords: integerInput(1, 100).optional(),
  NextToken: z.string().optional(),
});

export const describeAlarmsForMetricInput = z.object({
  MetricName: stringInput(1, 255),
  Namespace: stringInput(1, 255),
  Statistic: enumInput(STATISTICS).optional(),
  ExtendedStatistic: z.string().optional(),
  Dimensions: dimensions,
  Period: integerInput(1).optional(),
  Unit: unit,
});

export const setAlarmStateInput = z.object({
  AlarmName: stringInput(1, 255),
  StateValue: enumInput(STATE_VALUES),
  StateReason: stringInput(0, 1023),
  StateReasonData: stringInput(0, 4000).optional(),
});

export const deleteAlarmsInput = z.object({ AlarmNames: listInput(stringInput(1, 255), 100) });

export const describeAlarmHistoryInput = z.object({
  AlarmName: stringInput(1, 255).optional(),
  AlarmContributorId: z.string().optional(),
  AlarmTypes: listInput(enumInput(['CompositeAlarm', 'MetricAlarm'] as const), 2).optional(),
  HistoryItemType: enumInput(['ConfigurationUpdate', 'StateUpdate', 'Action', 'AlarmContributorStateUpdate', 'AlarmContributorAction'] as const).optional(),
  StartDate: timestampInput().optional(),
  EndDate: timestampInput().optional(),
  MaxRecords: integerInput(1, 100).optional(),
  NextToken: z.string().optional(),
  ScanBy: enumInput(['TimestampDescending', 'TimestampAscending'] as const).optional(),
});
