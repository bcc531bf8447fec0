import type { OutputPoll } from '../lib/pipeline-state';
import { parseInvokedSmokeCaseState } from '../lib/smoke-case-state';
import { step } from '../lib/step';
import { checkOutput } from './check';

/** CheckOutput: SmokeCaseState (with $.invocation) → $.output, once per poll. */
export const handler = step('CheckOutput', async (input: unknown): Promise<OutputPoll> =>
  checkOutput(parseInvokedSmokeCaseState(input), new Date()),
);
