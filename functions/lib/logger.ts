import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per function; `step()` appends the execution id so every line carries it. */
export const logger = new Logger({ serviceName: 'aep', logLevel: (process.env.AEP_LOG_LEVEL as 'INFO') ?? 'INFO' });
