import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setLogSink } from '../../functions/lib/logger';

/** Where the step handlers' log lines go locally: the stand-in for their CloudWatch log groups. */
export function stepLogPath(dataDir: string): string {
  return join(dataDir, 'logs', 'steps.log');
}

/**
 * Sends the step handlers' structured log lines to `<dataDir>/logs/steps.log` (and to `echo` too, e.g. stderr for
 * `--verbose`) instead of stdout, where they would mix with the CLI's live view and its one JSON document.
 * Returns the function that restores the previous destination and closes the file.
 */
export function captureStepLogs(dataDir: string, echo?: (line: string) => void): () => Promise<void> {
  const path = stepLogPath(dataDir);
  mkdirSync(dirname(path), { recursive: true });
  const file = createWriteStream(path, { flags: 'a' });
  // A full disk must not fail a step because its log line could not be kept.
  file.on('error', () => undefined);
  const previous = setLogSink((line) => {
    file.write(`${line}\n`);
    echo?.(line);
  });
  return () =>
    new Promise<void>((resolve) => {
      setLogSink(previous);
      file.end(() => resolve());
    });
}
