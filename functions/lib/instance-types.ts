import { editDistance } from './closest';

/**
 * SageMaker's hosting instance types (the API's ProductionVariantInstanceType enum), taken from the AWS SDK's own
 * model so the list moves with the SDK instead of being copied: ValidateInput, the CLI and the embedded SageMaker
 * all check against this one list. Read on first use: the SageMaker client package costs a second to load, which
 * a process that never checks an instance type (`aep local up` until the first deployment) should not pay.
 */
let known: { list: readonly string[]; set: ReadonlySet<string> } | undefined;

function knownTypes(): NonNullable<typeof known> {
  if (!known) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ProductionVariantInstanceType } = require('@aws-sdk/client-sagemaker') as typeof import('@aws-sdk/client-sagemaker');
    const list = Object.values(ProductionVariantInstanceType);
    known = { list, set: new Set(list) };
  }
  return known;
}

export const instanceTypes = (): readonly string[] => knownTypes().list;

export const isInstanceType = (value: string): boolean => knownTypes().set.has(value);

/** The valid instance type closest to a typo (edit distance), to name in the error. */
export function nearestInstanceType(value: string): string {
  const types = instanceTypes();
  let best = types[0];
  let bestDistance = Infinity;
  // `m5.large` is ml.m5.large with the prefix forgotten, not the equally distant ml.c5.large.
  const probe = value.toLowerCase().startsWith('ml.') ? value.toLowerCase() : `ml.${value.toLowerCase()}`;
  for (const candidate of types) {
    const distance = editDistance(probe, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}
