import type { Instance } from '../hosting/hosting';
import type { EndpointRecord } from './store';

const date = (ms: number) => new Date(ms);

/**
 * DescribeEndpoint's PendingDeploymentSummary: returned only while the endpoint is updating to a new endpoint
 * config (and while that update rolls back), one PendingProductionVariantSummary per variant of the new config —
 * its images, the weight it has now (the share of traffic shifted to it) and will have, its instances, and its
 * VariantStatus (Creating, ActivatingTraffic, Baking, Deleting).
 */
export function pendingDeploymentSummary(record: Readonly<EndpointRecord>, stagedInstances: readonly Instance[]) {
  const pending = record.pending;
  if (!pending || (record.EndpointStatus !== 'Updating' && record.EndpointStatus !== 'RollingBack')) return undefined;
  const rollout = record.rollout;
  return {
    EndpointConfigName: pending.EndpointConfigName,
    StartTime: date(pending.startedAt),
    ProductionVariants: pending.variants.map((v) => {
      const desiredWeight = pending.ProductionVariants.find((p) => p.VariantName === v.variantName)?.InitialVariantWeight ?? 1;
      return {
        VariantName: v.variantName,
        DeployedImages: [{ SpecifiedImage: v.image, ResolvedImage: v.image, ResolutionTime: date(pending.startedAt) }],
        CurrentWeight: desiredWeight * (rollout?.share ?? 0),
        DesiredWeight: desiredWeight,
        CurrentInstanceCount: stagedInstances.filter((i) => i.variantName === v.variantName && i.process.running).length,
        DesiredInstanceCount: v.instanceCount,
        InstanceType: v.instanceType,
        VariantStatus: [
          {
            Status: rollout?.variantStatus ?? 'Creating',
            StartTime: date(rollout?.since ?? pending.startedAt),
            ...(rollout?.statusMessage ? { StatusMessage: rollout.statusMessage } : {}),
          },
        ],
      };
    }),
  };
}
