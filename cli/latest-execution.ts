import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { parseS3Uri } from '../functions/lib/s3-uri';
import { sfn } from '../functions/lib/clients';
import { endpointNameFromKey } from '../functions/validate-input/resolve-config';

/** How many of the newest executions to read when looking for one endpoint's latest run. */
const SCAN = 100;

/**
 * The newest execution of the pipeline, or of one endpoint's deployments: the endpoint an execution deploys is its
 * input's endpointName, else the folder after models/ in its modelDataUrl (what an upload-started run deploys, as
 * ValidateInput derives it). Undefined when there is none among the newest executions.
 */
export async function latestExecution(stateMachineArn: string, endpointName?: string): Promise<string | undefined> {
  const { executions = [] } = await sfn().send(new ListExecutionsCommand({ stateMachineArn, maxResults: endpointName ? SCAN : 1 }));
  if (!endpointName) return executions[0]?.executionArn;
  for (const execution of executions) {
    const described = await sfn().send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
    if (endpointOf(described.input) === endpointName) return execution.executionArn;
  }
  return undefined;
}

function endpointOf(input: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(input ?? 'null') as { endpointName?: unknown; modelDataUrl?: unknown } | null;
    if (typeof parsed?.endpointName === 'string') return parsed.endpointName;
    const key = typeof parsed?.modelDataUrl === 'string' ? parseS3Uri(parsed.modelDataUrl)?.key : undefined;
    return key ? endpointNameFromKey(key) : undefined;
  } catch {
    return undefined;
  }
}
