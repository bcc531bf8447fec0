import { readEnvironment } from '../lib/environment';
import type { CreatedResource, PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { createModel } from './create-model';

/** CreateModel: input the whole state, result at $.model. */
export const handler = step<PipelineState, CreatedResource>('CreateModel', (state) =>
  createModel(state, readEnvironment()),
);
