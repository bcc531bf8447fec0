import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../functions/lib/clients';

/** Uploads and the runs they start are a few seconds apart at most; clocks of client and service may differ a little. */
const CLOCK_SLACK_MS = 5_000;

/**
 * The execution an upload of `modelDataUrl` started (the S3 → EventBridge rule gives it exactly
 * `{"modelDataUrl": …}` as input and a name of its own), looked up as a user would in AWS: the newest executions
 * started since the upload, read back until one has that input. Undefined when none appears before the deadline.
 */
export async function findUploadExecution(options: {
  stateMachineArn: string;
  modelDataUrl: string;
  uploadedAt: Date;
  deadline: number;
  pollIntervalMs?: number;
}): Promise<string | undefined> {
  const seen = new Set<string>();
  const since = options.uploadedAt.getTime() - CLOCK_SLACK_MS;
  do {
    const { executions = [] } = await sfn().send(new ListExecutionsCommand({ stateMachineArn: options.stateMachineArn, maxResults: 50 }));
    for (const execution of executions) {
      const arn = execution.executionArn!;
      if (seen.has(arn) || (execution.startDate?.getTime() ?? 0) < since) continue;
      seen.add(arn);
      const described = await sfn().send(new DescribeExecutionCommand({ executionArn: arn }));
      if (startedBy(described.input, options.modelDataUrl)) return arn;
    }
    await sleep(options.pollIntervalMs ?? 200);
  } while (Date.now() < options.deadline);
  return undefined;
}

function startedBy(input: string | undefined, modelDataUrl: string): boolean {
  try {
    const parsed = JSON.parse(input ?? 'null') as { modelDataUrl?: unknown } | null;
    return parsed?.modelDataUrl === modelDataUrl && Object.keys(parsed).length === 1;
  } catch {
    return false;
  }
}
