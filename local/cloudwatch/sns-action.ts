import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlarmActionHandler } from './alarm-engine';

/**
 * An alarm action on an SNS topic: the notification CloudWatch publishes (its JSON message, subject
 * `ALARM: "name" in region`), through the embedded SNS like any other publisher.
 */
export function snsAlarmAction(sns: () => SNSClient, region: string): AlarmActionHandler {
  return async ({ actionArn, alarm, state }) => {
    const message = {
      AlarmName: alarm.AlarmName,
      AlarmDescription: alarm.AlarmDescription ?? null,
      AWSAccountId: alarm.AlarmArn.split(':')[4],
      AlarmConfigurationUpdatedTimestamp: new Date(alarm.AlarmConfigurationUpdatedTimestamp).toISOString(),
      NewStateValue: state,
      NewStateReason: alarm.StateReason,
      StateChangeTime: new Date(alarm.StateUpdatedTimestamp).toISOString(),
      Region: region,
      AlarmArn: alarm.AlarmArn,
      Trigger: {
        MetricName: alarm.MetricName,
        Namespace: alarm.Namespace,
        StatisticType: alarm.Statistic ? 'Statistic' : 'ExtendedStatistic',
        Statistic: (alarm.Statistic ?? alarm.ExtendedStatistic ?? '').toUpperCase(),
        Unit: alarm.Unit ?? null,
        Dimensions: alarm.Dimensions.map((d) => ({ name: d.Name, value: d.Value })),
        Period: alarm.Period,
        EvaluationPeriods: alarm.EvaluationPeriods,
        DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
        ComparisonOperator: alarm.ComparisonOperator,
        Threshold: alarm.Threshold,
        TreatMissingData: alarm.TreatMissingData ?? 'missing',
      },
    };
    const subject = `${state}: "${alarm.AlarmName}" in ${region}`.slice(0, 100);
    await sns().send(new PublishCommand({ TopicArn: actionArn, Subject: subject, Message: JSON.stringify(message) }));
  };
}
