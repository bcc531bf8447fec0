import { LOCAL_ACCOUNT_ID } from '../../service';
import { requestTagContext, type AuthorizationCheck, type CallAuthorization } from './check';

type Tags = Array<{ Key: string; Value: string }>;

/**
 * CloudWatch's authorization (Service Authorization Reference, "Actions defined by Amazon CloudWatch"): alarm actions
 * on `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`, one authorization per alarm a call names (all alarms,
 * `alarm:*`, for a DescribeAlarms without names); PutMetricAlarm with aws:RequestTag/aws:TagKeys of its tags and
 * cloudwatch:AlarmActions; PutMetricData on `*` with cloudwatch:namespace; the metric reads on `*`.
 */
export const cloudWatchAuthorization: CallAuthorization = (operation, input, ctx) => {
  const action = `cloudwatch:${operation}`;
  const alarm = (name: unknown): AuthorizationCheck => ({ action, resource: `arn:aws:cloudwatch:${ctx.region}:${LOCAL_ACCOUNT_ID}:alarm:${String(name)}` });
  const names = (field: string, whenNone: string[] = []): AuthorizationCheck[] => {
    const listed = Array.isArray(input[field]) ? (input[field] as unknown[]) : [];
    return (listed.length > 0 ? listed : whenNone).map(alarm);
  };
  switch (operation) {
    case 'PutMetricAlarm': {
      const actions = Array.isArray(input.AlarmActions) ? (input.AlarmActions as unknown[]).map(String) : [];
      const context = { ...requestTagContext(input.Tags as Tags | undefined), ...(actions.length > 0 ? { 'cloudwatch:AlarmActions': actions } : {}) };
      return [{ ...alarm(input.AlarmName), context }];
    }
    case 'DescribeAlarms':
      return names('AlarmNames', ['*']);
    case 'DeleteAlarms':
    case 'EnableAlarmActions':
    case 'DisableAlarmActions':
      return names('AlarmNames');
    case 'SetAlarmState':
      return [alarm(input.AlarmName)];
    case 'DescribeAlarmHistory':
      return [alarm(input.AlarmName ?? '*')];
    case 'PutMetricData':
      return [{ action, resource: '*', context: { 'cloudwatch:namespace': String(input.Namespace ?? '') } }];
    default:
      // GetMetricData, GetMetricStatistics, ListMetrics, DescribeAlarmsForMetric: no resource-level permissions.
      return [{ action, resource: '*' }];
  }
};
