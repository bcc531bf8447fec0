import { readEnvironment } from '../lib/environment';
import type { DeploymentResult, PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { finalize } from './finalize';

/** What the ASL passes Finalize: the whole state, and the execution input for the audit record. */
export interface FinalizeInput {
  state: PipelineState;
  input?: unknown;
}

/** Finalize: {state, input} → $.result (also the execution's output). */
export const handler = step<FinalizeInput, DeploymentResult>('Finalize', ({ state, input }) => finalize(state, readEnvironment(), input));
