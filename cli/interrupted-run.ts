import { writeSync } from 'node:fs';

/** 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C. */
export const INTERRUPTED_EXIT_CODE = 130;

export interface FollowedRun {
  executionArn: string;
  executionName: string;
}

/**
 * Ctrl-C while `aep deploy --wait` follows a run stops the following, not the run: the execution goes on in Step
 * Functions. So the promise of `--json` still holds — exactly one document, saying RUNNING, the ARN and how to follow
 * it — and stderr says what happened. Written synchronously: the process exits right after, and a pipe's async
 * write could be cut off. Returns the function that removes the handler once the run has ended.
 */
export function reportInterruption(run: FollowedRun, options: { json: boolean; connectionFlags: string }): () => void {
  const follow = `aep status ${run.executionArn}${options.connectionFlags}`;
  const onInterrupt = () => {
    if (options.json) {
      const document = { executionArn: run.executionArn, executionName: run.executionName, status: 'RUNNING', interrupted: true, follow };
      writeSync(1, `${JSON.stringify(document, null, 2)}\n`);
    }
    writeSync(2, `\nInterrupted: stopped following, but execution ${run.executionName} goes on in Step Functions.\n  Follow it: ${follow}\n`);
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.once('SIGINT', onInterrupt);
  return () => process.off('SIGINT', onInterrupt);
}
