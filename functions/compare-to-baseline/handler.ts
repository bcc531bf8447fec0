import { readEnvironment } from '../lib/environment';
import type { SmokeCaseResult } from '../lib/pipeline-state';
import { parseInvokedSmokeCaseState } from '../lib/smoke-case-state';
import { step } from '../lib/step';
import { compareCase } from './compare-case';

/** CompareToBaseline: SmokeCaseState → SmokeCaseResult, the iteration's whole output. */
export const handler = step('CompareToBaseline', async (input: unknown): Promise<SmokeCaseResult> => {
  const env = readEnvironment();
  return compareCase(parseInvokedSmokeCaseState(input), env.artifactsBucket);
});
