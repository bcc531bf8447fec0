import { readEnvironment } from '../lib/environment';
import type { CreatedResource, PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { createEndpointConfig } from './create-endpoint-config';

/** CreateEndpointConfig: input the whole state, result at $.endpointConfig. */
export const handler = step<PipelineState, CreatedResource>('CreateEndpointConfig', (state) =>
  createEndpointConfig(state, readEnvironment()),
);
