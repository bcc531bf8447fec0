import { readEnvironment } from '../lib/environment';
import type { PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { validateInput, validateInputEventSchema, type ValidateInputEvent } from './validate-input';

/** ValidateInput: input `{state, execution}` (see the ASL Parameters); returns the whole PipelineState. */
export const handler = step<ValidateInputEvent, PipelineState>('ValidateInput', async (event) => {
  const { state, execution } = validateInputEventSchema.parse(event);
  return validateInput(state, execution, readEnvironment());
});
