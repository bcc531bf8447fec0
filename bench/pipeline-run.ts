import { DeleteEndpointCommand } from '@aws-sdk/client-sagemaker';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionInput } from '../functions/lib/deployment-input';
import type { HistoryEventOutput } from '../local/stepfunctions/history';
import type { BenchAws } from './bench-aws';

export class PipelineRunFailed extends Error {
  override readonly name = 'PipelineRunFailed';
}

export interface PipelineRun {
  executionArn: string;
  /** From the StartExecution call to the execution's end, as the caller sees it. */
  wallMs: number;
  history: HistoryEventOutput[];
}

/**
 * Starts one pipeline execution with the SDK, as a user would, and waits for its end. Anything but SUCCEEDED throws
 * with the execution's error and cause: a benchmark of a failing pipeline measures nothing.
 */
export async function runPipeline(bench: BenchAws, name: string, input: ExecutionInput): Promise<PipelineRun> {
  const started = performance.now();
  const { executionArn } = await bench.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: bench.aws.names.stateMachineArn, name, input: JSON.stringify(input) }),
  );
  const record = await bench.aws.services.stepFunctions.waitForExecution(executionArn!);
  const wallMs = performance.now() - started;
  if (record.status !== 'SUCCEEDED') {
    throw new PipelineRunFailed(`Execution ${name} ended ${record.status}: ${record.error ?? ''}: ${record.cause ?? ''}`);
  }
  return { executionArn: executionArn!, wallMs, history: bench.aws.services.stepFunctions.history(executionArn!) };
}

/** Deletes endpoints and waits until their processes are gone, so the next run starts from the same state. */
export async function deleteEndpoints(bench: BenchAws, names: string[]): Promise<void> {
  for (const EndpointName of names) await bench.clients.sagemaker.send(new DeleteEndpointCommand({ EndpointName }));
  await bench.aws.services.sagemaker.settled();
}

/** Milliseconds spent in each state (entered → exited), summed over entries: where a run's time goes. */
export function timeByState(history: readonly HistoryEventOutput[]): Record<string, number> {
  const totals: Record<string, number> = {};
  const open = new Map<string, number[]>();
  for (const event of history) {
    const at = event.timestamp.getTime();
    const entered = event.stateEnteredEventDetails?.name as string | undefined;
    const exited = event.stateExitedEventDetails?.name as string | undefined;
    if (event.type.endsWith('StateEntered') && entered) open.set(entered, [...(open.get(entered) ?? []), at]);
    if (event.type.endsWith('StateExited') && exited) {
      const since = open.get(exited)?.shift();
      if (since !== undefined) totals[exited] = (totals[exited] ?? 0) + (at - since);
    }
  }
  return totals;
}
