import { readEnvironment } from '../lib/environment';
import type { DeploymentState, PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { deployEndpoint } from './deploy-endpoint';

/** DeployEndpoint: input the whole state, result at $.deployment. */
export const handler = step<PipelineState, DeploymentState>('DeployEndpoint', (state) =>
  deployEndpoint(state, readEnvironment(), new Date()),
);
