import { PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { SCALABLE_DIMENSION, SCALABLE_NAMESPACE, scalableResourceId, scaleOutFromZeroAlarmName } from '../lib/autoscaling-names';
import { autoscaling, cloudwatch } from '../lib/clients';
import type { Autoscaling } from '../lib/deployment-input';
import { describeError, isTransientAwsError } from '../lib/errors';
import { logger } from '../lib/logger';

/**
 * Autoscaling of an asynchronous endpoint, as SageMaker's documentation sets it up: the variant's instance count is
 * a scalable target; a target-tracking policy keeps ApproximateBacklogSizePerInstance near the target; with
 * minCapacity 0 the endpoint scales in to zero when idle, and a step-scaling policy scales it out of zero.
 * That step policy is triggered by a CloudWatch alarm on HasBacklogWithoutCapacity (target tracking alone never
 * leaves zero: with no instance there is no backlog per instance to track).
 * All calls are upserts: a re-run sets the same values.
 */
export interface AutoscalingResult {
  resourceId: string;
  minCapacity: number;
  maxCapacity: number;
  policies: string[];
  /** The alarm that invokes the scale-out-from-zero policy (minCapacity 0 only). */
  alarmName?: string;
}


export async function configureAutoscaling(endpointName: string, settings: Autoscaling): Promise<AutoscalingResult> {
  const resourceId = scalableResourceId(endpointName);
  const target = { ServiceNamespace: SCALABLE_NAMESPACE, ResourceId: resourceId, ScalableDimension: SCALABLE_DIMENSION } as const;
  await autoscaling().send(
    new RegisterScalableTargetCommand({ ...target, MinCapacity: settings.minCapacity, MaxCapacity: settings.maxCapacity }),
  );

  const trackingName = `${endpointName}-backlog-per-instance`;
  await autoscaling().send(
    new PutScalingPolicyCommand({
      ...target,
      PolicyName: trackingName,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: settings.targetBacklogPerInstance,
        CustomizedMetricSpecification: {
          MetricName: 'ApproximateBacklogSizePerInstance',
          Namespace: 'AWS/SageMaker',
          Dimensions: [{ Name: 'EndpointName', Value: endpointName }],
          Statistic: 'Average',
        },
        ScaleInCooldown: settings.scaleInCooldownSeconds,
        ScaleOutCooldown: settings.scaleOutCooldownSeconds,
      },
    }),
  );
  const result: AutoscalingResult = {
    resourceId,
    minCapacity: settings.minCapacity,
    maxCapacity: settings.maxCapacity,
    policies: [trackingName],
  };
  if (settings.minCapacity > 0) return result;

  const fromZeroName = scaleOutFromZeroAlarmName(endpointName);
  const stepPolicy = await autoscaling().send(
    new PutScalingPolicyCommand({
      ...target,
      PolicyName: fromZeroName,
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        MetricAggregationType: 'Maximum',
        Cooldown: settings.scaleOutCooldownSeconds,
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      },
    }),
  );
  result.policies.push(fromZeroName);
  result.alarmName = scaleOutFromZeroAlarmName(endpointName);
  await cloudwatch().send(
    new PutMetricAlarmCommand({
      AlarmName: result.alarmName,
      AlarmDescription: `Scales endpoint ${endpointName} out of zero instances when requests are queued (aep).`,
      Namespace: 'AWS/SageMaker',
      MetricName: 'HasBacklogWithoutCapacity',
      Dimensions: [{ Name: 'EndpointName', Value: endpointName }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'missing',
      AlarmActions: [stepPolicy.PolicyARN ?? ''],
    }),
  );
  return result;
}

/**
 * Autoscaling is set up after the new model is live and has passed its smoke tests: a refusal (no permission, a
 * limit) must not turn a good deployment into a failed one, so it becomes a warning in the result and the audit record.
 */
export async function configureAutoscalingOrWarn(
  endpointName: string,
  settings: Autoscaling,
): Promise<{ result?: AutoscalingResult; warning?: string }> {
  try {
    return { result: await configureAutoscaling(endpointName, settings) };
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    const warning = `autoscaling of endpoint ${endpointName} not configured: ${describeError(error)}`;
    logger.warn(warning);
    return { warning };
  }
}
