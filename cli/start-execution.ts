import { DescribeExecutionCommand, StartExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { sfn } from '../functions/lib/clients';
import { UsageError } from './cli-errors';

export interface StartedExecution {
  executionArn: string;
  executionName: string;
  startDate?: Date;
  /** True when --name matched an execution already started with the same input (a re-run of the same CI job). */
  reused: boolean;
  /** Its status when reused (RUNNING, SUCCEEDED, FAILED, …). */
  status: string;
}

/** Step Functions' rule for execution names (no whitespace, brackets, wildcards or the listed punctuation). */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export function checkExecutionName(name: string): void {
  if (!EXECUTION_NAME.test(name)) {
    throw new UsageError(
      `--name "${name}" is not a valid execution name`,
      'Use 1-80 letters, digits, "-" or "_" (a commit SHA works).',
    );
  }
}

/** arn:…:stateMachine:M → arn:…:execution:M:name */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Starts an execution. With a name, a repeat of the same run is recognised: the same name and the same input give
 * back the existing execution, running or finished, as StartExecution's idempotency does for running ones;
 * the same name with a different input is a usage error (that name belongs to another run).
 */
export async function startExecution(stateMachineArn: string, input: unknown, name?: string): Promise<StartedExecution> {
  const inputText = JSON.stringify(input);
  if (name !== undefined) {
    checkExecutionName(name);
    const existing = await describeIfExists(executionArnFor(stateMachineArn, name));
    if (existing) return reuse(existing, input, name);
  }
  try {
    const started = await sfn().send(new StartExecutionCommand({ stateMachineArn, name, input: inputText }));
    return { executionArn: started.executionArn!, executionName: nameOf(started.executionArn!), startDate: started.startDate, reused: false, status: 'RUNNING' };
  } catch (error) {
    // Lost a race with another start of the same name: describe it like any existing execution.
    if (name !== undefined && error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      const existing = await describeIfExists(executionArnFor(stateMachineArn, name));
      if (existing) return reuse(existing, input, name);
    }
    throw error;
  }
}

function reuse(existing: DescribeExecutionCommandOutput, input: unknown, name: string): StartedExecution {
  if (canonical(parse(existing.input)) !== canonical(input)) {
    throw new UsageError(
      `Execution name "${name}" was already used with a different input (${existing.executionArn})`,
      'Execution names are unique per state machine for 90 days: pick another --name, or repeat the original input.',
    );
  }
  return {
    executionArn: existing.executionArn!,
    executionName: name,
    startDate: existing.startDate,
    reused: true,
    status: existing.status ?? 'UNKNOWN',
  };
}

async function describeIfExists(executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await sfn().send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

export const nameOf = (executionArn: string): string => executionArn.split(':').at(-1) ?? executionArn;

function parse(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

/** JSON with sorted keys: two inputs are the same run when their canonical forms are equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
