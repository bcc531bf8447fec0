import { readEnvironment } from '../lib/environment';
import type { LockState, PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { acquireEndpointLock } from './acquire-lock';

/** AcquireLock: input the whole state, result at $.lock (one round of the LockAcquired?/WaitForLock loop). */
export const handler = step<PipelineState, LockState>('AcquireLock', (state) =>
  acquireEndpointLock(state, readEnvironment(), new Date()),
);
