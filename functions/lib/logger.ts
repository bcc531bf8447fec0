import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogAttributes, LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';

/** Where a log line goes instead of stdout: the embedded AWS writes step logs to a file per function. */
export type LogSink = (line: string) => void;

let sink: LogSink | undefined;

/** Powertools' Logger, whose lines go to the sink when one is set (Lambda itself has none: stdout → CloudWatch). */
class StepLogger extends Logger {
  protected override createLogger(options?: ConstructorOptions): StepLogger {
    return new StepLogger(options);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!sink) return super.printLog(logLevel, log);
    sink(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

const root = new StepLogger({ serviceName: 'aep' });
const invocation = new AsyncLocalStorage<Logger>();

/**
 * The logger of the invocation being served: a child of one structured JSON logger with the invocation's keys
 * (step, execution id). Per invocation rather than `appendKeys` on a process-wide logger, because the embedded AWS runs
 * several invocations of a step at once in one process (the SmokeTests Map) and shared keys would be crossed.
 * The level comes from Powertools' own POWERTOOLS_LOG_LEVEL (set by the stack), or Lambda's advanced logging controls.
 */
export const logger = {
  debug: (message: LogItemMessage, ...extra: LogItemExtraInput) => current().debug(message, ...extra),
  info: (message: LogItemMessage, ...extra: LogItemExtraInput) => current().info(message, ...extra),
  warn: (message: LogItemMessage, ...extra: LogItemExtraInput) => current().warn(message, ...extra),
  error: (message: LogItemMessage, ...extra: LogItemExtraInput) => current().error(message, ...extra),
};

function current(): Logger {
  return invocation.getStore() ?? root;
}

/** Runs one invocation with its own child logger carrying `keys` on every line. */
export function withInvocationLogger<T>(keys: LogAttributes, run: () => Promise<T>): Promise<T> {
  return invocation.run(root.createChild({ persistentKeys: keys }), run);
}

/** Sends every step log line to `next` (undefined: back to stdout); returns the previous sink. */
export function setLogSink(next: LogSink | undefined): LogSink | undefined {
  const previous = sink;
  sink = next;
  return previous;
}
