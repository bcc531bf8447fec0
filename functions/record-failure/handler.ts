import { readEnvironment } from '../lib/environment';
import type { CaughtError } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { recordFailure, type RecordFailureInput } from './record-failure';

/** RecordFailure: {state, execution} → $.error, the error the Fail state ends the execution with. */
export const handler = step<RecordFailureInput, CaughtError>('RecordFailure', (input) =>
  recordFailure(input ?? {}, readEnvironment(), new Date()),
);
