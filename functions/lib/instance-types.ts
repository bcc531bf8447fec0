import { ProductionVariantInstanceType } from '@aws-sdk/client-sagemaker';
import { editDistance } from './closest';

/**
 * SageMaker's hosting instance types (the API's ProductionVariantInstanceType enum), taken from the AWS SDK's own
 * model so the list moves with the SDK instead of being copied: ValidateInput, the CLI and the embedded SageMaker
 * all check against this one list.
 */
export const INSTANCE_TYPES: readonly string[] = Object.values(ProductionVariantInstanceType);
const KNOWN = new Set(INSTANCE_TYPES);

export const isInstanceType = (value: string): boolean => KNOWN.has(value);

/** The valid instance type closest to a typo (edit distance), to name in the error. */
export function nearestInstanceType(value: string): string {
  let best = INSTANCE_TYPES[0];
  let bestDistance = Infinity;
  // `m5.large` is ml.m5.large with the prefix forgotten, not the equally distant ml.c5.large.
  const probe = value.toLowerCase().startsWith('ml.') ? value.toLowerCase() : `ml.${value.toLowerCase()}`;
  for (const candidate of INSTANCE_TYPES) {
    const distance = editDistance(probe, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}
