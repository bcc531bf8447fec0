import type { Deployment } from './store';

/**
 * UpdateEndpoint with RetainAllVariantProperties: each variant keeps what it runs at now (the instance count
 * autoscaling or UpdateEndpointWeightsAndCapacities set, and its weight) instead of the new config's initial values.
 * A variant the endpoint does not have yet takes the config's values.
 */
export function retainVariantProperties(next: Deployment, current: Deployment | undefined): Deployment {
  if (!current) return next;
  return {
    ...next,
    variants: next.variants.map((variant) => {
      const serving = current.variants.find((v) => v.variantName === variant.variantName);
      return serving ? { ...variant, instanceCount: serving.instanceCount } : variant;
    }),
    ProductionVariants: next.ProductionVariants.map((pv) => {
      const serving = current.ProductionVariants.find((p) => p.VariantName === pv.VariantName);
      const count = current.variants.find((v) => v.variantName === pv.VariantName)?.instanceCount;
      return serving ? { ...pv, InitialVariantWeight: serving.InitialVariantWeight ?? pv.InitialVariantWeight, InitialInstanceCount: count ?? pv.InitialInstanceCount } : pv;
    }),
  };
}
