import { DescribeScalableTargetsCommand, DescribeScalingActivitiesCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { autoscaling, cloudwatch, sagemaker } from '../functions/lib/clients';
import { formatDuration } from './output';

/** An endpoint's instances and autoscaling, as `aep status` shows them. */
export interface EndpointCapacity {
  endpointName: string;
  status?: string;
  variants: Array<{
    variantName: string;
    currentInstanceCount?: number;
    desiredInstanceCount?: number;
    scaling?: {
      minCapacity: number;
      maxCapacity: number;
      /** Alarms of the variant's scaling policies that are in ALARM now. */
      alarmsFiring: string[];
      lastActivity?: { description: string; status: string; startTime?: string };
    };
  }>;
}

/**
 * Reads the endpoint's variants (DescribeEndpoint) and their autoscaling (Application Auto Scaling's target, latest
 * activity, the policies' alarms in ALARM). Undefined when the endpoint does not exist; scaling is left out when it
 * is not registered or cannot be read (no permission): the status of a run must not fail on it.
 */
export async function endpointCapacity(endpointName: string): Promise<EndpointCapacity | undefined> {
  const endpoint = await sagemaker()
    .send(new DescribeEndpointCommand({ EndpointName: endpointName }))
    .catch(() => undefined);
  if (!endpoint) return undefined;
  const variants = await Promise.all(
    (endpoint.ProductionVariants ?? []).map(async (v) => ({
      variantName: v.VariantName ?? '',
      currentInstanceCount: v.CurrentInstanceCount,
      desiredInstanceCount: v.DesiredInstanceCount,
      scaling: await variantScaling(`endpoint/${endpointName}/variant/${v.VariantName}`).catch(() => undefined),
    })),
  );
  return { endpointName, status: endpoint.EndpointStatus, variants };
}

async function variantScaling(resourceId: string): Promise<NonNullable<EndpointCapacity['variants'][number]['scaling']> | undefined> {
  const ServiceNamespace = 'sagemaker';
  const targets = await autoscaling().send(new DescribeScalableTargetsCommand({ ServiceNamespace, ResourceIds: [resourceId] }));
  const target = targets.ScalableTargets?.[0];
  if (!target) return undefined;
  const [activities, policies] = await Promise.all([
    autoscaling().send(new DescribeScalingActivitiesCommand({ ServiceNamespace, ResourceId: resourceId, MaxResults: 1 })),
    autoscaling().send(new DescribeScalingPoliciesCommand({ ServiceNamespace, ResourceId: resourceId })),
  ]);
  const alarmNames = (policies.ScalingPolicies ?? []).flatMap((p) => (p.Alarms ?? []).map((a) => a.AlarmName ?? ''));
  const endpointName = resourceId.split('/')[1];
  const prefixed = await cloudwatch().send(new DescribeAlarmsCommand({ AlarmNamePrefix: endpointName, StateValue: 'ALARM' }));
  const tracking = alarmNames.length ? await cloudwatch().send(new DescribeAlarmsCommand({ AlarmNames: alarmNames.slice(0, 100), StateValue: 'ALARM' })) : undefined;
  const firing = [...(prefixed.MetricAlarms ?? []), ...(tracking?.MetricAlarms ?? [])].map((a) => a.AlarmName ?? '');
  const last = activities.ScalingActivities?.[0];
  return {
    minCapacity: target.MinCapacity ?? 0,
    maxCapacity: target.MaxCapacity ?? 0,
    alarmsFiring: [...new Set(firing)],
    ...(last ? { lastActivity: { description: last.Description ?? '', status: last.StatusCode ?? '', startTime: last.StartTime?.toISOString() } } : {}),
  };
}

/** Lines for the human-readable status. */
export function capacityLines(capacity: EndpointCapacity): string[] {
  return capacity.variants.map((v) => {
    const counts = `${v.currentInstanceCount ?? '?'} running / ${v.desiredInstanceCount ?? '?'} desired`;
    if (!v.scaling) return `  ${'instances'.padEnd(14)}${v.variantName}: ${counts} (no autoscaling)`;
    const s = v.scaling;
    const last = s.lastActivity
      ? `; last: ${s.lastActivity.description} ${s.lastActivity.status}${s.lastActivity.startTime ? ` ${formatDuration(Date.now() - Date.parse(s.lastActivity.startTime))} ago` : ''}`
      : '';
    const firing = s.alarmsFiring.length ? `; in ALARM: ${s.alarmsFiring.join(', ')}` : '';
    return `  ${'instances'.padEnd(14)}${v.variantName}: ${counts}, autoscaling ${s.minCapacity}–${s.maxCapacity}${last}${firing}`;
  });
}
