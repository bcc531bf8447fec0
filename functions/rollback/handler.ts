import type { PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { rollbackStep, type RollbackProgress } from './rollback';

/** Rollback: the whole state (with $.error) → $.rollback, once per pass of the RollbackComplete? loop. */
export const handler = step<PipelineState, RollbackProgress>('Rollback', (state) => rollbackStep(state, new Date()));
