import * as z from 'zod';
import { validationError } from '../aws-error';
import type { Hosting } from '../hosting/hosting';
import { cannotUpdateFailed, inProgress } from './messages';
import type { Deployment, EndpointRecord } from './store';

export const updateEndpointWeightsAndCapacitiesInput = z.looseObject({
  EndpointName: z.string().max(63),
  DesiredWeightsAndCapacities: z
    .array(
      z.looseObject({
        VariantName: z.string().max(63),
        DesiredWeight: z.number().min(0, 'Member must have value greater than or equal to 0').optional(),
        DesiredInstanceCount: z.number().int().min(0, 'Member must have value greater than or equal to 0').optional(),
      }),
    )
    .min(1, 'Member must have length greater than or equal to 1'),
});
export type CapacityChange = z.infer<typeof updateEndpointWeightsAndCapacitiesInput>['DesiredWeightsAndCapacities'][number];

export interface CapacityContext {
  hosting: Hosting;
  /** Applies a change and writes it before it is acted on; undone in memory when the write fails (see SageMakerStore). */
  commit(change: () => void): void;
  /** Writes what the background work did, retrying while the disk refuses. */
  record(): void;
  /** Registers background work so shutdown and `settled()` wait for it. */
  track(work: Promise<void>): void;
  /** Refuses (ResourceLimitExceeded) instances beyond the per-type quota; `deployment` holds only the added instances. */
  checkInstanceLimit(deployment: Deployment): void;
  /** Announces a status change (SageMaker's endpoint state-change event). */
  stateChanged(record: EndpointRecord): void;
}

/**
 * UpdateEndpointWeightsAndCapacities, which Application Auto Scaling also calls: the endpoint goes Updating, the
 * variants' DesiredInstanceCount changes at once, model processes start (healthy first) or stop, then InService.
 * A variant of an asynchronous endpoint may go to 0 instances: its queued requests wait until it has one again.
 * Everything is checked before anything changes. Returns when the processes match the new counts (or failed to,
 * then the counts go back and FailureReason says why, the serving processes untouched).
 */
export function changeCapacity(record: EndpointRecord, changes: readonly CapacityChange[], ctx: CapacityContext): Promise<void> {
  if (record.EndpointStatus === 'Failed') throw cannotUpdateFailed(record.EndpointArn);
  if (record.EndpointStatus !== 'InService' || !record.current) throw inProgress('update', record.EndpointArn);
  const current = record.current;
  const names = current.variants.map((v) => v.variantName);
  const unknown = changes.filter((c) => !names.includes(c.VariantName)).map((c) => c.VariantName);
  if (unknown.length) throw validationError(`The variant(s) "[${unknown.join(', ')}]" is/are not present in the endpoint "${record.EndpointArn}".`);
  for (const change of changes) {
    if (change.DesiredWeight === undefined && change.DesiredInstanceCount === undefined) {
      throw validationError(`Either DesiredWeight or DesiredInstanceCount must be specified for variant ${change.VariantName}.`);
    }
    if (change.DesiredInstanceCount === 0 && !current.AsyncInferenceConfig) {
      throw validationError(`DesiredInstanceCount of variant ${change.VariantName} must be at least 1: only asynchronous inference endpoints scale to 0 instances.`);
    }
  }
  const added = changes.flatMap((c) => {
    const variant = current.variants.find((v) => v.variantName === c.VariantName)!;
    const delta = (c.DesiredInstanceCount ?? variant.instanceCount) - variant.instanceCount;
    return delta > 0 ? [{ ...variant, instanceCount: delta }] : [];
  });
  ctx.checkInstanceLimit({ ...current, variants: added });

  const before = structuredClone({ variants: current.variants, ProductionVariants: current.ProductionVariants });
  ctx.commit(() => {
    for (const change of changes) {
      const variant = current.variants.find((v) => v.variantName === change.VariantName)!;
      if (change.DesiredInstanceCount !== undefined) variant.instanceCount = change.DesiredInstanceCount;
      if (change.DesiredWeight !== undefined) {
        current.ProductionVariants = current.ProductionVariants.map((pv) => (pv.VariantName === change.VariantName ? { ...pv, InitialVariantWeight: change.DesiredWeight } : pv));
      }
    }
    record.EndpointStatus = 'Updating';
    record.LastModifiedTime = Date.now();
  });
  ctx.stateChanged(record);

  const work = (async () => {
    try {
      for (const change of changes) {
        const variant = current.variants.find((v) => v.variantName === change.VariantName)!;
        await ctx.hosting.resize({ endpointName: record.EndpointName, endpointConfigName: current.EndpointConfigName, variants: current.variants }, variant);
      }
      record.FailureReason = undefined;
    } catch (error) {
      Object.assign(current, before);
      record.FailureReason = `Update of the endpoint's weights and capacities failed and was rolled back: ${(error as Error).message}`;
    }
    if (record.EndpointStatus === 'Updating' && record.current === current) record.EndpointStatus = 'InService';
    record.LastModifiedTime = Date.now();
    ctx.record();
    ctx.stateChanged(record);
  })();
  ctx.track(work);
  return work;
}
