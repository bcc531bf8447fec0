import { requestTagContext, type CallAuthorization } from './check';

/**
 * Application Auto Scaling's authorization (Service Authorization Reference, "Actions defined by AWS Application Auto
 * Scaling"): the actions on a scalable target (Register/Deregister, Put/Delete scaling policy and scheduled action)
 * carry application-autoscaling:service-namespace and application-autoscaling:scalable-dimension from the request,
 * and are authorized on the target's ARN once it exists (Application Auto Scaling assigns it on first registration,
 * so a new target is `*`); RegisterScalableTarget also carries the tags it sets. Describe* support no resource.
 */
export const applicationAutoScalingAuthorization: CallAuthorization = (operation, input, _ctx, lookups) => {
  const action = `application-autoscaling:${operation}`;
  if (operation.startsWith('Describe')) return [{ action, resource: '*' }];
  const target = {
    ServiceNamespace: String(input.ServiceNamespace ?? ''),
    ResourceId: String(input.ResourceId ?? ''),
    ScalableDimension: String(input.ScalableDimension ?? ''),
  };
  const context = {
    'application-autoscaling:service-namespace': target.ServiceNamespace,
    'application-autoscaling:scalable-dimension': target.ScalableDimension,
    ...(operation === 'RegisterScalableTarget' ? requestTagContext(tagList(input.Tags)) : {}),
  };
  return [{ action, resource: lookups.scalableTargetArn(target) ?? '*', context }];
};

/** Application Auto Scaling's tags are a map, `{"team": "ml"}`. */
function tagList(tags: unknown): Array<{ Key: string; Value: string }> | undefined {
  if (typeof tags !== 'object' || tags === null) return undefined;
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value: String(Value) }));
}
