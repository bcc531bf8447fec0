import { followExecution } from './execution-follower';
import type { Output } from './output';
import { createProgressView } from './progress-view';
import { buildRunReport, type RunReport } from './run-report';
import { RunProgress } from './run-progress';

export interface WatchOptions {
  executionArn: string;
  output: Output;
  /** Epoch ms after which to stop waiting (WaitTimeout, exit 3). */
  deadline?: number;
  pollIntervalMs?: number;
  artifactsBucket?: () => Promise<string | undefined>;
}

/** Follows a run on stderr (live view on a terminal, plain lines otherwise) and reports its outcome. */
export async function watchRun(options: WatchOptions): Promise<RunReport> {
  const progress = new RunProgress();
  const view = createProgressView({ stream: options.output.stderr, live: options.output.live, color: options.output.color, progress });
  const { execution } = await followExecution({
    executionArn: options.executionArn,
    deadline: options.deadline,
    pollIntervalMs: options.pollIntervalMs,
    tickMs: options.output.live ? 120 : undefined,
    view,
    progress,
  });
  const artifactsBucket = await options.artifactsBucket?.().catch(() => undefined);
  return buildRunReport(execution, progress, { artifactsBucket });
}

/** History polling: brisk against the embedded AWS, gentle on AWS's GetExecutionHistory quota. */
export const pollIntervalFor = (local: boolean): number => (local ? 250 : 2000);
