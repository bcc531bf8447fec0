import { readEnvironment } from '../lib/environment';
import type { DeploymentResult, PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { finalize } from './finalize';

/** Finalize: the whole state → $.result (also the execution's output). */
export const handler = step<PipelineState, DeploymentResult>('Finalize', (state) => finalize(state, readEnvironment()));
