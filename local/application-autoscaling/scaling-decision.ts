import type { StepScalingConfiguration, TargetTrackingConfiguration } from './shapes';
import type { ScalableTarget, ScalingPolicy } from './store';

/** Application Auto Scaling's default cooldown for SageMaker variants, in seconds. */
export const DEFAULT_COOLDOWN_SECONDS = 300;

export interface Decision {
  desired: number;
  direction: 'out' | 'in';
}

/** What an alarm asks of a policy: the alarm's name (target tracking's High or Low), threshold and newest value. */
export interface Trigger {
  alarmName: string;
  threshold: number;
  value?: number;
}

/**
 * The capacity a policy sets when its alarm fires, bounded by the target's min and max; undefined when nothing
 * changes (already there, suspended, in cooldown — `waitScale` scales the cooldowns).
 * Step scaling: the step whose bounds (relative to the alarm threshold) hold the breach, applied as
 * ChangeInCapacity, PercentChangeInCapacity (MinAdjustmentMagnitude) or ExactCapacity.
 * Target tracking: capacity proportional to metric / target — at least one more on the High alarm, at least one
 * fewer on the Low alarm (a metric of 0, an idle queue, goes straight to the minimum).
 */
export function decide(policy: ScalingPolicy, target: ScalableTarget, trigger: Trigger, current: number, now: number, waitScale: number): Decision | undefined {
  let wanted: number | undefined;
  let outCooldown: number;
  let inCooldown: number;
  if (policy.PolicyType === 'StepScaling') {
    const config = policy.StepScalingPolicyConfiguration as StepScalingConfiguration;
    wanted = stepCapacity(config, trigger, current);
    outCooldown = inCooldown = config.Cooldown ?? DEFAULT_COOLDOWN_SECONDS;
  } else {
    const config = policy.TargetTrackingScalingPolicyConfiguration as TargetTrackingConfiguration;
    const high = /-AlarmHigh-/.test(trigger.alarmName);
    if (!high && config.DisableScaleIn) return undefined;
    if (trigger.value !== undefined && current > 0) {
      const proportional = Math.ceil((current * trigger.value) / config.TargetValue);
      wanted = high ? Math.max(current + 1, proportional) : Math.min(current - 1, proportional);
    }
    outCooldown = config.ScaleOutCooldown ?? DEFAULT_COOLDOWN_SECONDS;
    inCooldown = config.ScaleInCooldown ?? DEFAULT_COOLDOWN_SECONDS;
  }
  if (wanted === undefined) return undefined;
  const desired = Math.min(target.MaxCapacity, Math.max(target.MinCapacity, wanted));
  if (desired === current) return undefined;
  const direction = desired > current ? 'out' : 'in';
  if (direction === 'out' && target.SuspendedState.DynamicScalingOutSuspended) return undefined;
  if (direction === 'in' && target.SuspendedState.DynamicScalingInSuspended) return undefined;
  const ms = (seconds: number) => seconds * 1000 * waitScale;
  if (direction === 'out' && now - (target.lastScaleOutAt ?? 0) < ms(outCooldown)) return undefined;
  // A scale-in waits out the cooldown after any scaling: capacity just added is not taken away at once.
  if (direction === 'in' && now - Math.max(target.lastScaleInAt ?? 0, target.lastScaleOutAt ?? 0) < ms(inCooldown)) return undefined;
  return { desired, direction };
}

function stepCapacity(config: StepScalingConfiguration, trigger: Trigger, current: number): number | undefined {
  const breach = (trigger.value ?? trigger.threshold) - trigger.threshold;
  const step = (config.StepAdjustments ?? []).find(
    (s) => (s.MetricIntervalLowerBound ?? -Infinity) <= breach && breach < (s.MetricIntervalUpperBound ?? Infinity),
  );
  if (!step) return undefined;
  switch (config.AdjustmentType ?? 'ChangeInCapacity') {
    case 'ExactCapacity':
      return step.ScalingAdjustment;
    case 'PercentChangeInCapacity': {
      let change = Math.trunc((current * step.ScalingAdjustment) / 100);
      const magnitude = config.MinAdjustmentMagnitude ?? 0;
      if (Math.abs(change) < magnitude) change = Math.sign(step.ScalingAdjustment) * magnitude;
      return current + change;
    }
    default:
      return current + step.ScalingAdjustment;
  }
}
