import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger per function; `step()` appends the execution id so every line carries it.
 * The level comes from Powertools' own POWERTOOLS_LOG_LEVEL (set by the stack), or Lambda's advanced logging controls.
 */
export const logger = new Logger({ serviceName: 'aep' });
