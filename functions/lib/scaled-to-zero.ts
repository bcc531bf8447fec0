import { DescribeScalableTargetsCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { UpdateEndpointWeightsAndCapacitiesCommand, type DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { VARIANT_NAME } from '../create-endpoint-config/create-endpoint-config';
import { SCALABLE_DIMENSION, SCALABLE_NAMESPACE as SCALING_NAMESPACE, scalableResourceId } from './autoscaling-names';
import { autoscaling, sagemaker } from './clients';
import type { DeploymentState, ScaledToZero } from './pipeline-state';

/**
 * An endpoint scaled to zero: an asynchronous endpoint whose instance count autoscaling (or a person) set to 0.
 * A release must not wait for a scale-out from zero (in AWS: minutes of HasBacklogWithoutCapacity alarm, then new
 * instances) and must leave the endpoint at 0 as it found it.
 * - candidate: the gate runs on the candidate, which has its own instances; promotion keeps 0
 *   (RetainAllVariantProperties); the verification against production is skipped (DescribeEndpoint says why).
 * - in-place: the smoke tests need an instance, so UpdateEndpoint takes the new config's instance count
 *   (ExcludeRetainedVariantProperties DesiredInstanceCount) while the scaling registration's dynamic scale-in is
 *   suspended (else the still-firing scale-in alarm takes the instance away mid-test); Finalize or Rollback put the
 *   count back to 0 and resume scale-in, passed or failed.
 */

/**
 * Recorded on this run's endpoint config before the in-place update, so a retried or redriven step still knows that
 * production was at 0 and whether this run suspended its scale-in ("suspended-by-run" or "left-as-found").
 */
export const SCALED_TO_ZERO_TAG = 'aep:scaled-to-zero';

/** Every variant has 0 instances wanted (autoscaling's scale-in to 0 sets DesiredInstanceCount; processes follow). */
export function isScaledToZero(endpoint: DescribeEndpointCommandOutput): boolean {
  const variants = endpoint.ProductionVariants ?? [];
  return variants.length > 0 && variants.every((v) => v.DesiredInstanceCount === 0);
}

export function zeroTagValue(zero: ScaledToZero): string {
  return zero.scaleInSuspended ? 'suspended-by-run' : 'left-as-found';
}

export function fromZeroTag(value: string | undefined): ScaledToZero | undefined {
  return value ? { scaleInSuspended: value === 'suspended-by-run' } : undefined;
}

/**
 * Whether the endpoint's scalable target has dynamic scale-in running (registered and not suspended): then this run
 * suspends it while it tests, and resumes it afterwards. Otherwise it is left as found.
 */
export async function isScaleInActive(endpointName: string): Promise<boolean> {
  const found = await autoscaling().send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: SCALING_NAMESPACE, ResourceIds: [scalableResourceId(endpointName)], ScalableDimension: SCALABLE_DIMENSION }),
  );
  const registered = found.ScalableTargets?.[0];
  return registered !== undefined && !registered.SuspendedState?.DynamicScalingInSuspended;
}

/** Suspends or resumes dynamic scale-in; an update of the registration names only what changes. */
export async function setScaleInSuspended(endpointName: string, suspended: boolean): Promise<void> {
  await autoscaling().send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: SCALING_NAMESPACE,
      ResourceId: scalableResourceId(endpointName),
      ScalableDimension: SCALABLE_DIMENSION,
      SuspendedState: { DynamicScalingInSuspended: suspended },
    }),
  );
}

/** Only what this run changed is put back: the instance count it raised (in-place), the scale-in it suspended. */
export function raisedFromZero(deployment: DeploymentState | undefined): ScaledToZero | undefined {
  return deployment?.strategy === 'in-place' ? deployment.scaledToZero : undefined;
}

/** The variants with instances wanted: what scaleBackToZero sets to 0. */
export function variantsAboveZero(endpoint: DescribeEndpointCommandOutput): string[] {
  return (endpoint.ProductionVariants ?? []).filter((v) => (v.DesiredInstanceCount ?? 0) > 0).map((v) => v.VariantName ?? VARIANT_NAME);
}

/** Sets every variant with instances back to 0 (the endpoint must be InService); returns the words for the record. */
export async function scaleBackToZero(endpoint: DescribeEndpointCommandOutput): Promise<string | undefined> {
  const variants = variantsAboveZero(endpoint);
  if (variants.length === 0) return undefined;
  await sagemaker().send(
    new UpdateEndpointWeightsAndCapacitiesCommand({
      EndpointName: endpoint.EndpointName,
      DesiredWeightsAndCapacities: variants.map((VariantName) => ({ VariantName, DesiredInstanceCount: 0 })),
    }),
  );
  return `scaled endpoint ${endpoint.EndpointName} back to 0 instances`;
}

/** Resumes the dynamic scale-in this run suspended; returns the words for the record. */
export async function resumeScaleIn(endpointName: string, zero: ScaledToZero): Promise<string | undefined> {
  if (!zero.scaleInSuspended) return undefined;
  await setScaleInSuspended(endpointName, false);
  return `resumed dynamic scale-in of ${scalableResourceId(endpointName)}`;
}
