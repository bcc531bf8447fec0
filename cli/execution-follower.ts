import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { sfn } from '../functions/lib/clients';
import { WaitTimeout } from './cli-errors';
import type { ProgressView } from './progress-view';
import { RunProgress } from './run-progress';

export interface FollowOptions {
  executionArn: string;
  /** Between history polls; GetExecutionHistory is throttled in AWS (5 per second refill), 1 s is polite. */
  pollIntervalMs?: number;
  /** Stop waiting at this time (epoch ms): WaitTimeout. */
  deadline?: number;
  /** Live views redraw this often between polls. */
  tickMs?: number;
  view?: ProgressView;
  progress?: RunProgress;
}

export interface FollowedExecution {
  execution: DescribeExecutionCommandOutput;
  progress: RunProgress;
}

/**
 * Follows an execution until it ends: reads its history (new events only, by id) and hands them to the view,
 * then describes it once more for the output or the error. Used by `deploy --wait`, `status` and `demo` alike.
 */
export async function followExecution(options: FollowOptions): Promise<FollowedExecution> {
  const progress = options.progress ?? new RunProgress();
  const interval = options.pollIntervalMs ?? 1000;
  const tick = options.view && options.tickMs ? setInterval(() => options.view?.tick(), options.tickMs) : undefined;
  try {
    for (;;) {
      const execution = await sfn().send(new DescribeExecutionCommand({ executionArn: options.executionArn }));
      // Described before the history is read: when it says finished, the history read next is complete.
      const notes = progress.apply(await readHistory(options.executionArn));
      options.view?.notes(notes);
      if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') return { execution, progress };
      if (options.deadline !== undefined && Date.now() + interval > options.deadline) {
        throw new WaitTimeout(
          `Execution ${execution.name} is still running after the --timeout (now in ${progress.currentState ?? 'an unknown state'})`,
          `It carries on without the CLI: npx aep status ${options.executionArn}${process.env.AWS_ENDPOINT_URL ? ` --endpoint-url ${process.env.AWS_ENDPOINT_URL}` : ''}`,
        );
      }
      await sleep(interval);
    }
  } finally {
    if (tick) clearInterval(tick);
    options.view?.close();
  }
}

/** The whole history, oldest first. RunProgress skips events it has seen, so re-reading is safe. */
export async function readHistory(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn().send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}
