import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from './clients';
import { pipelineAlarmNames } from './release';

/**
 * The alarms the pipeline creates for an endpoint (release.createAlarms), on metrics asynchronous endpoints really
 * publish: failed invocations, and the age of the oldest queued request (a fleet that stopped taking work).
 * Invocations and OverheadLatency are never published for async endpoints, so alarms on them would never fire.
 * PutMetricAlarm is an upsert: a re-run sets the same values.
 */
export async function putPipelineAlarms(endpointName: string, invocationTimeoutSeconds: number): Promise<string[]> {
  const names = pipelineAlarmNames(endpointName);
  const common = {
    Namespace: 'AWS/SageMaker',
    Dimensions: [{ Name: 'EndpointName', Value: endpointName }],
    Period: 60,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold' as const,
    TreatMissingData: 'notBreaching' as const,
  };
  await cloudwatch().send(
    new PutMetricAlarmCommand({
      ...common,
      AlarmName: names.invocationFailures,
      AlarmDescription: `Failed asynchronous invocations of endpoint ${endpointName}; watched by SageMaker during releases (aep).`,
      MetricName: 'InvocationFailures',
      Statistic: 'Sum',
      Threshold: 1,
    }),
  );
  await cloudwatch().send(
    new PutMetricAlarmCommand({
      ...common,
      AlarmName: names.oldestRequestAge,
      AlarmDescription: `A request to endpoint ${endpointName} waited longer than one invocation timeout; watched during releases (aep).`,
      MetricName: 'ApproximateAgeOfOldestRequest',
      Statistic: 'Maximum',
      Threshold: invocationTimeoutSeconds,
    }),
  );
  return Object.values(names);
}
