import type { Deployment } from './store';

/** The variant properties UpdateEndpoint's ExcludeRetainedVariantProperties may name (DataCaptureConfig is accepted and, as in AWS, has no effect). */
export type VariantPropertyType = 'DesiredInstanceCount' | 'DesiredWeight' | 'DataCaptureConfig';

/**
 * UpdateEndpoint with RetainAllVariantProperties: each variant keeps what it runs at now (the instance count
 * autoscaling or UpdateEndpointWeightsAndCapacities set, and its weight) instead of the new config's initial values,
 * except the properties listed in ExcludeRetainedVariantProperties, which take the new config's values
 * (DesiredInstanceCount: its InitialInstanceCount; DesiredWeight: its InitialVariantWeight).
 * A variant the endpoint does not have yet takes the config's values.
 */
export function retainVariantProperties(next: Deployment, current: Deployment | undefined, excluded: VariantPropertyType[] = []): Deployment {
  if (!current) return next;
  const keepCount = !excluded.includes('DesiredInstanceCount');
  const keepWeight = !excluded.includes('DesiredWeight');
  return {
    ...next,
    variants: next.variants.map((variant) => {
      const serving = current.variants.find((v) => v.variantName === variant.variantName);
      return serving && keepCount ? { ...variant, instanceCount: serving.instanceCount } : variant;
    }),
    ProductionVariants: next.ProductionVariants.map((pv) => {
      const serving = current.ProductionVariants.find((p) => p.VariantName === pv.VariantName);
      if (!serving) return pv;
      const count = current.variants.find((v) => v.variantName === pv.VariantName)?.instanceCount;
      return {
        ...pv,
        InitialVariantWeight: keepWeight ? (serving.InitialVariantWeight ?? pv.InitialVariantWeight) : pv.InitialVariantWeight,
        InitialInstanceCount: keepCount ? (count ?? pv.InitialInstanceCount) : pv.InitialInstanceCount,
      };
    }),
  };
}
