import { randomUUID } from 'node:crypto';
import type { AlarmActionInvocation, CloudWatchService, PutMetricAlarmInput } from '../cloudwatch/service';
import type { FaultInjector } from '../faults';
import { pageOf } from '../paging';
import { jsonService } from '../protocols/aws-json';
import type { SageMakerService } from '../sagemaker/service';
import { LOCAL_ACCOUNT_ID, type RequestContext, type ServiceModule } from '../service';
import { decide } from './scaling-decision';
import {
  deleteScalingPolicyInput,
  describeScalableTargetsInput,
  describeScalingActivitiesInput,
  describeScalingPoliciesInput,
  invalidNextToken,
  objectNotFound,
  parse,
  putScalingPolicyInput,
  registerScalableTargetInput,
  SAGEMAKER_VARIANT_DIMENSION,
  targetInput,
  validationException,
  type TargetTrackingConfiguration,
} from './shapes';
import { AutoScalingStore, targetKey, type ScalableTarget, type ScalingPolicy } from './store';

export interface ApplicationAutoScalingOptions {
  dataDir: string;
  region: string;
  waitScale: number;
  sagemaker: SageMakerService;
  cloudwatch: CloudWatchService;
  /** The embedded AWS's fault rules: `disk` rules fail writes of the targets and policies. */
  faults?: FaultInjector;
}

export interface ApplicationAutoScalingService extends ServiceModule {
  /** Resolves when every scaling activity in progress has ended. */
  settled(): Promise<void>;
  /** The ARN of a registered scalable target (IAM authorizes calls on it), undefined when it is not registered. */
  scalableTargetArn(target: TargetId): string | undefined;
}

type TargetId = { ServiceNamespace: string; ResourceId: string; ScalableDimension: string };

const SERVICE_LINKED_ROLE = (account: string) =>
  `arn:aws:iam::${account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`;
/** The one predefined metric a SageMaker variant has that an alarm can watch. */
const PREDEFINED = { SageMakerVariantInvocationsPerInstance: { MetricName: 'InvocationsPerInstance', Statistic: 'Sum' as const } };
const describeTarget = (t: TargetId) => `service namespace: ${t.ServiceNamespace}, resource ID: ${t.ResourceId}, scalable dimension: ${t.ScalableDimension}`;
const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/**
 * Application Auto Scaling (awsJson1_1, `AnyScaleFrontendService`) for SageMaker endpoint variants
 * (`sagemaker:variant:DesiredInstanceCount`): scalable targets, step and target tracking policies, activities.
 * Policies act through CloudWatch alarms, as in AWS: a step policy is an alarm action; a target tracking policy
 * creates its own High and Low alarms (`TargetTracking-…-AlarmHigh-…`). An invoked policy sets the variant's
 * instance count through SageMaker (UpdateEndpointWeightsAndCapacities), within min/max and after its cooldown.
 */
export function createApplicationAutoScalingService(options: ApplicationAutoScalingOptions): ApplicationAutoScalingService {
  const { sagemaker, cloudwatch, region } = options;
  const store = new AutoScalingStore(options.dataDir, options.faults);
  const activitiesInFlight = new Set<Promise<void>>();
  const internal: RequestContext = { region, accountId: LOCAL_ACCOUNT_ID, requestId: 'application-autoscaling', url: new URL('http://127.0.0.1/') };

  /** The endpoint and variant a SageMaker resource ID names, checked to exist. */
  const variantOf = (t: TargetId) => {
    if (t.ServiceNamespace !== 'sagemaker') {
      throw validationException(`The embedded Application Auto Scaling scales SageMaker endpoint variants only; service namespace ${t.ServiceNamespace} is not supported.`);
    }
    if (t.ScalableDimension !== SAGEMAKER_VARIANT_DIMENSION) {
      throw validationException(`Unsupported scalable dimension ${t.ScalableDimension} for service namespace sagemaker; the embedded AWS scales ${SAGEMAKER_VARIANT_DIMENSION}.`);
    }
    const match = /^endpoint\/([^/]+)\/variant\/([^/]+)$/.exec(t.ResourceId);
    if (!match) throw validationException(`Unsupported resource ID ${t.ResourceId}: a SageMaker variant is endpoint/<endpoint-name>/variant/<variant-name>.`);
    const [, endpointName, variantName] = match;
    const endpoint = sagemaker.endpoint(endpointName);
    const variant = endpoint?.current?.variants.find((v) => v.variantName === variantName);
    if (!endpoint || !variant) throw validationException(`The variant ${variantName} of endpoint ${endpointName} does not exist or is not in service.`);
    return { endpoint, variant, endpointName, variantName };
  };

  const findTarget = (t: TargetId, notFound: () => Error) => {
    const target = store.targets.get(targetKey(t));
    if (!target) throw notFound();
    return target;
  };

  /** Sets the variant's count through SageMaker, recorded as an activity (InProgress → Successful | Failed). */
  const scale = (target: ScalableTarget, desired: number, cause: string) => {
    const { endpointName, variantName } = variantOf(target);
    const activity = {
      ActivityId: randomUUID(),
      ServiceNamespace: target.ServiceNamespace,
      ResourceId: target.ResourceId,
      ScalableDimension: target.ScalableDimension,
      Description: `Setting desired instance count to ${desired}.`,
      Cause: cause,
      StartTime: Date.now(),
      StatusCode: 'InProgress' as const,
    };
    store.addActivity(activity);
    const work = (async () => {
      try {
        await sagemaker.setDesiredInstanceCount(endpointName, variantName, desired, internal);
        const failure = sagemaker.endpoint(endpointName)?.FailureReason;
        const reached = sagemaker.endpoint(endpointName)?.current?.variants.find((v) => v.variantName === variantName)?.instanceCount === desired;
        Object.assign(activity, reached
          ? { StatusCode: 'Successful', StatusMessage: `Successfully set desired instance count to ${desired}. Change successfully fulfilled by sagemaker.` }
          : { StatusCode: 'Failed', StatusMessage: `Failed to set desired instance count to ${desired}. ${failure ?? ''}`.trim() });
      } catch (error) {
        Object.assign(activity, { StatusCode: 'Failed', StatusMessage: `Failed to set desired instance count to ${desired}. Reason: ${(error as Error).message}` });
      }
      Object.assign(activity, { EndTime: Date.now() });
      // The scaling happened: memory says so even when the disk is full; the next write that succeeds records it.
      await store.save().catch(() => undefined);
    })();
    activitiesInFlight.add(work);
    void work.finally(() => activitiesInFlight.delete(work));
  };

  /** An alarm invoked a policy's ARN: decide, then scale (a busy endpoint is retried on the alarm's next repeat). */
  cloudwatch.handleActions('arn:aws:autoscaling:', async ({ actionArn, alarm, state, newestValue }: AlarmActionInvocation) => {
    const policy = store.policies.find((p) => p.PolicyARN === actionArn);
    if (!policy) throw new Error(`No scaling policy ${actionArn}`);
    const target = store.targets.get(targetKey(policy));
    if (!target || state !== 'ALARM') return;
    const { endpoint, variant } = variantOf(target);
    if (endpoint.EndpointStatus !== 'InService') return;
    const now = Date.now();
    const decision = decide(policy, target, { alarmName: alarm.AlarmName, threshold: alarm.Threshold, value: newestValue }, variant.instanceCount, now, options.waitScale);
    if (!decision) return;
    if (decision.direction === 'out') target.lastScaleOutAt = now;
    else target.lastScaleInAt = now;
    scale(target, decision.desired, `monitor alarm ${alarm.AlarmName} in state ALARM triggered policy ${policy.PolicyName}`);
    await store.save();
  });

  const deletePolicyAlarms = async (policy: ScalingPolicy) => {
    const names = policy.Alarms.map((a) => a.AlarmName).filter((name) => cloudwatch.alarm(name));
    if (names.length) await cloudwatch.deleteAlarms(names);
  };
  const removePolicy = async (policy: ScalingPolicy) => {
    await deletePolicyAlarms(policy);
    store.policies.splice(store.policies.indexOf(policy), 1);
  };

  /** Target tracking's own alarms, as AWS names and configures them (High: 3 of 3 minutes; Low: 15 of 15). */
  const trackingAlarms = async (policy: ScalingPolicy, config: TargetTrackingConfiguration, endpointName: string, variantName: string) => {
    const predefined = config.PredefinedMetricSpecification;
    const custom = config.CustomizedMetricSpecification;
    const metric = predefined
      ? {
          Namespace: 'AWS/SageMaker',
          MetricName: PREDEFINED.SageMakerVariantInvocationsPerInstance.MetricName,
          Statistic: PREDEFINED.SageMakerVariantInvocationsPerInstance.Statistic,
          Dimensions: [{ Name: 'EndpointName', Value: endpointName }, { Name: 'VariantName', Value: variantName }],
        }
      : { Namespace: custom!.Namespace!, MetricName: custom!.MetricName!, Statistic: custom!.Statistic ?? 'Average', Dimensions: custom!.Dimensions ?? [], Unit: custom!.Unit as PutMetricAlarmInput['Unit'] };
    const alarms: ScalingPolicy['Alarms'] = [];
    const make = async (kind: 'High' | 'Low') => {
      const input: PutMetricAlarmInput = {
        AlarmName: `TargetTracking-${policy.ResourceId}-Alarm${kind}-${randomUUID()}`,
        AlarmDescription: `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${policy.PolicyARN}.`,
        AlarmActions: [policy.PolicyARN],
        ...metric,
        Period: 60,
        EvaluationPeriods: kind === 'High' ? 3 : 15,
        DatapointsToAlarm: kind === 'High' ? 3 : 15,
        Threshold: kind === 'High' ? config.TargetValue : config.TargetValue * 0.9,
        ComparisonOperator: kind === 'High' ? 'GreaterThanThreshold' : 'LessThanThreshold',
      };
      const created = await cloudwatch.putAlarm(input);
      alarms.push({ AlarmName: created.AlarmName, AlarmARN: created.AlarmArn });
    };
    await make('High');
    if (!config.DisableScaleIn) await make('Low');
    return alarms;
  };

  const describePolicy = (p: ScalingPolicy) => ({ ...p, CreationTime: date(p.CreationTime) });

  const module = jsonService({
    name: 'application-autoscaling',
    targetPrefix: 'AnyScaleFrontendService',
    jsonVersion: '1.1',
    close: async () => {
      await Promise.allSettled([...activitiesInFlight]);
    },
    operations: {
      async RegisterScalableTarget(raw, ctx) {
        const input = parse(registerScalableTargetInput, raw);
        const { endpoint } = variantOf(input);
        const existing = store.targets.get(targetKey(input));
        const min = input.MinCapacity ?? existing?.MinCapacity;
        const max = input.MaxCapacity ?? existing?.MaxCapacity;
        if (min === undefined || max === undefined) throw validationException('MinCapacity and MaxCapacity are required to register a new scalable target.');
        if (min > max) throw validationException(`Minimum capacity (${min}) cannot be greater than maximum capacity (${max}).`);
        if (min === 0 && !endpoint.current?.AsyncInferenceConfig) {
          throw validationException('The minimum capacity of a SageMaker variant can be 0 only for an asynchronous inference endpoint.');
        }
        const suspended = { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false, ...existing?.SuspendedState, ...input.SuspendedState };
        const target: ScalableTarget = existing ?? {
          ServiceNamespace: input.ServiceNamespace,
          ResourceId: input.ResourceId,
          ScalableDimension: input.ScalableDimension,
          MinCapacity: min,
          MaxCapacity: max,
          RoleARN: input.RoleARN ?? SERVICE_LINKED_ROLE(ctx.accountId),
          ScalableTargetARN: `arn:aws:application-autoscaling:${ctx.region}:${ctx.accountId}:scalable-target/${randomUUID().replace(/-/g, '')}`,
          CreationTime: Date.now(),
          SuspendedState: suspended,
        };
        const before = existing && { MinCapacity: existing.MinCapacity, MaxCapacity: existing.MaxCapacity, SuspendedState: existing.SuspendedState };
        await store.commit(
          () => store.targets.set(targetKey(target), Object.assign(target, { MinCapacity: min, MaxCapacity: max, SuspendedState: suspended })),
          () => (before ? Object.assign(target, before) : store.targets.delete(targetKey(target))),
        );
        // A count outside the new bounds is brought inside them at once, as Application Auto Scaling does.
        const count = variantOf(target).variant.instanceCount;
        if ((count < min || count > max) && endpoint.EndpointStatus === 'InService') {
          const desired = Math.min(max, Math.max(min, count));
          scale(target, desired, `${count < min ? 'minimum' : 'maximum'} capacity was set to ${count < min ? min : max}`);
        }
        return { ScalableTargetARN: target.ScalableTargetARN };
      },

      async DeregisterScalableTarget(raw) {
        const input = parse(targetInput, raw);
        const target = findTarget(input, () => objectNotFound(`No scalable target found for ${describeTarget(input)}`));
        const policies = store.policies.filter((p) => targetKey(p) === targetKey(target));
        await store.commit(
          () => {
            for (const policy of policies) store.policies.splice(store.policies.indexOf(policy), 1);
            store.targets.delete(targetKey(target));
          },
          () => {
            store.policies.push(...policies);
            store.targets.set(targetKey(target), target);
          },
        );
        for (const policy of policies) await deletePolicyAlarms(policy);
        return {};
      },

      DescribeScalableTargets(raw) {
        const input = parse(describeScalableTargetsInput, raw);
        const targets = [...store.targets.values()]
          .filter((t) => t.ServiceNamespace === input.ServiceNamespace)
          .filter((t) => !input.ResourceIds || input.ResourceIds.includes(t.ResourceId))
          .filter((t) => !input.ScalableDimension || t.ScalableDimension === input.ScalableDimension);
        const { page, NextToken } = pageOf(targets, input.NextToken, input.MaxResults ?? 50, invalidNextToken);
        return {
          ScalableTargets: page.map(({ lastScaleInAt: _in, lastScaleOutAt: _out, CreationTime, ...t }) => ({ ...t, CreationTime: date(CreationTime) })),
          NextToken,
        };
      },

      async PutScalingPolicy(raw, ctx) {
        const input = parse(putScalingPolicyInput, raw);
        const target = findTarget(input, () => objectNotFound(`No scalable target registered for ${describeTarget(input)}`));
        const { endpointName, variantName } = variantOf(target);
        const type = input.PolicyType ?? 'StepScaling';
        if (type === 'PredictiveScaling') throw validationException('PredictiveScaling policies are not supported by the embedded Application Auto Scaling.');
        const step = input.StepScalingPolicyConfiguration;
        const tracking = input.TargetTrackingScalingPolicyConfiguration;
        if (type === 'StepScaling' && (!step || tracking)) {
          throw validationException('A StepScaling policy needs StepScalingPolicyConfiguration, and only it.');
        }
        if (type === 'StepScaling' && !step?.StepAdjustments?.length) throw validationException('StepScalingPolicyConfiguration.StepAdjustments must have at least one step adjustment.');
        if (type === 'TargetTrackingScaling') {
          if (!tracking || step) throw validationException('A TargetTrackingScaling policy needs TargetTrackingScalingPolicyConfiguration, and only it.');
          if (!tracking.PredefinedMetricSpecification === !tracking.CustomizedMetricSpecification) {
            throw validationException('Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.');
          }
          const predefined = tracking.PredefinedMetricSpecification?.PredefinedMetricType;
          if (predefined !== undefined && !Object.hasOwn(PREDEFINED, predefined)) {
            throw validationException(`Unsupported predefined metric type ${predefined} for service namespace sagemaker; the embedded AWS supports ${Object.keys(PREDEFINED).join(', ')}.`);
          }
          const custom = tracking.CustomizedMetricSpecification;
          if (custom && (custom.Metrics || !custom.MetricName || !custom.Namespace)) {
            throw validationException('CustomizedMetricSpecification needs MetricName and Namespace (metric math is not supported by the embedded AWS).');
          }
          if (!(tracking.TargetValue > 0)) throw validationException('TargetValue must be greater than 0.');
        }
        const existing = store.policies.find((p) => targetKey(p) === targetKey(target) && p.PolicyName === input.PolicyName);
        const policy: ScalingPolicy = {
          PolicyARN:
            existing?.PolicyARN ??
            `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:scalingPolicy:${randomUUID()}:resource/${target.ServiceNamespace}/${target.ResourceId}:policyName/${input.PolicyName}`,
          PolicyName: input.PolicyName,
          ServiceNamespace: target.ServiceNamespace,
          ResourceId: target.ResourceId,
          ScalableDimension: target.ScalableDimension,
          PolicyType: type,
          ...(step ? { StepScalingPolicyConfiguration: step } : {}),
          ...(tracking ? { TargetTrackingScalingPolicyConfiguration: tracking } : {}),
          Alarms: [],
          CreationTime: existing?.CreationTime ?? Date.now(),
        };
        if (existing) await removePolicy(existing);
        if (tracking) policy.Alarms = await trackingAlarms(policy, tracking, endpointName, variantName);
        store.policies.push(policy);
        await store.save();
        return { PolicyARN: policy.PolicyARN, ...(tracking ? { Alarms: policy.Alarms } : {}) };
      },

      DescribeScalingPolicies(raw) {
        const input = parse(describeScalingPoliciesInput, raw);
        const policies = store.policies
          .filter((p) => p.ServiceNamespace === input.ServiceNamespace)
          .filter((p) => !input.ResourceId || p.ResourceId === input.ResourceId)
          .filter((p) => !input.ScalableDimension || p.ScalableDimension === input.ScalableDimension)
          .filter((p) => !input.PolicyNames || input.PolicyNames.includes(p.PolicyName));
        const { page, NextToken } = pageOf(policies, input.NextToken, input.MaxResults ?? 50, invalidNextToken);
        return { ScalingPolicies: page.map(describePolicy), NextToken };
      },

      async DeleteScalingPolicy(raw) {
        const input = parse(deleteScalingPolicyInput, raw);
        const policy = store.policies.find((p) => targetKey(p) === targetKey(input) && p.PolicyName === input.PolicyName);
        if (!policy) throw objectNotFound(`No scaling policy found for ${describeTarget(input)}, policy name: ${input.PolicyName}`);
        await store.commit(
          () => store.policies.splice(store.policies.indexOf(policy), 1),
          () => store.policies.push(policy),
        );
        await deletePolicyAlarms(policy);
        return {};
      },

      DescribeScalingActivities(raw) {
        const input = parse(describeScalingActivitiesInput, raw);
        const activities = store.activities
          .filter((a) => a.ServiceNamespace === input.ServiceNamespace)
          .filter((a) => !input.ResourceId || a.ResourceId === input.ResourceId)
          .filter((a) => !input.ScalableDimension || a.ScalableDimension === input.ScalableDimension)
          .slice()
          .reverse();
        const { page, NextToken } = pageOf(activities, input.NextToken, input.MaxResults ?? 50, invalidNextToken);
        return { ScalingActivities: page.map((a) => ({ ...a, StartTime: date(a.StartTime), EndTime: date(a.EndTime) })), NextToken };
      },
    },
  });

  return Object.assign(module, {
    scalableTargetArn: (target: TargetId) => store.targets.get(targetKey(target))?.ScalableTargetARN,
    settled: async () => {
      while (activitiesInFlight.size > 0) await Promise.allSettled([...activitiesInFlight]);
    },
  });
}
