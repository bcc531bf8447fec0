import { readEnvironment } from '../lib/environment';
import type { SmokeInvocation } from '../lib/pipeline-state';
import { parseSmokeCaseState } from '../lib/smoke-case-state';
import { step } from '../lib/step';
import { invokeSmokeCase } from './invoke';

/** SmokeInvoke: SmokeCaseState → $.invocation. */
export const handler = step('SmokeInvoke', async (input: unknown): Promise<SmokeInvocation> => {
  const env = readEnvironment();
  return invokeSmokeCase(parseSmokeCaseState(input), env.artifactsBucket);
});
