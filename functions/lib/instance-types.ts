import { ProductionVariantInstanceType } from '@aws-sdk/client-sagemaker';

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
  for (const candidate of INSTANCE_TYPES) {
    const distance = editDistance(value.toLowerCase(), candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}
