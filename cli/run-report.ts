import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { stepTimings, type StepTiming } from './step-timings';
import { artifactKeys } from '../functions/lib/names';
import type { DeploymentResult, SmokeCaseResult } from '../functions/lib/pipeline-state';
import { toS3Uri } from '../functions/lib/s3-uri';
import type { RunProgress } from './run-progress';

/** The error of an execution the embedded AWS closed because it stopped mid-run (local/stepfunctions). */
const INTERRUPTED_ERROR = 'EmbeddedAwsRestarted';

/**
 * The outcome of one execution, in one shape for every consumer: the deploy summary, `--json`, the JUnit report,
 * `status` and the demo. Built from DescribeExecution (status, output, error) and the history (states, smoke
 * cases and rollback of a failed run, which only the history still holds).
 */
export interface RunReport {
  executionArn: string;
  executionName: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  durationSeconds?: number;
  endpointName?: string;
  modelDataUrl?: string;
  /** The execution output (DeploymentResult) of a run that succeeded. */
  result?: DeploymentResult;
  /** Why a run failed: the execution's error and cause, and the state it went wrong in. */
  error?: { error: string; cause: string; state?: string };
  /** Per smoke case metrics and verdict: from the result, or from the SmokeTests state of a failed run. */
  cases: SmokeCaseResult[];
  /** What the failure path did. */
  rollback?: { actions: string[]; kept: string[] };
  auditUri?: string;
  /** While running: the state being executed, and polls so far. */
  currentState?: string;
  polls: number;
  retries: number;
  /** Time per state (a polled state adds up its visits), as the audit record counts it. */
  states: StepTiming[];
}

const smokeCaseSchema = z.looseObject({
  name: z.string(),
  passed: z.boolean(),
  mode: z.enum(['exact', 'numeric', 'topk']),
  metrics: z.record(z.string(), z.number()),
  cause: z.string().optional(),
  latencySeconds: z.number().optional(),
});

const deploymentResultSchema = z.looseObject({
  endpointName: z.string(),
  endpointConfigName: z.string(),
  modelName: z.string(),
  auditUri: z.string(),
  cases: z.array(smokeCaseSchema),
});

/** The parts of the pipeline state (pipeline-state.ts) a report reads; everything else passes through unread. */
const observedStateSchema = z.looseObject({
  config: z.looseObject({ endpointName: z.string().optional(), modelDataUrl: z.string().optional() }).optional(),
  names: z.looseObject({ endpoint: z.string() }).optional(),
  smoke: z.looseObject({ cases: z.array(smokeCaseSchema) }).optional(),
  rollback: z.looseObject({ actions: z.array(z.string()), kept: z.array(z.string()).default([]) }).optional(),
  state: z.looseObject({ modelDataUrl: z.string().optional(), endpointName: z.string().optional() }).optional(),
  modelDataUrl: z.string().optional(),
  endpointName: z.string().optional(),
});

export interface ReportOptions {
  /** The artifacts bucket, to say where a failed run's audit record is (the result carries it for a success). */
  artifactsBucket?: string;
  /** The execution input as started, for the endpoint and artifact of a run that failed before ValidateInput resolved them. */
  input?: string;
}

export function buildRunReport(execution: DescribeExecutionCommandOutput, progress: RunProgress, options: ReportOptions = {}): RunReport {
  const executionArn = execution.executionArn ?? '';
  const executionName = execution.name ?? executionArn.split(':').at(-1) ?? '';
  const start = execution.startDate;
  const stop = execution.stopDate;
  const observed = observedStateSchema.safeParse(progress.lastState ?? {});
  const seen = observed.success ? observed.data : {};
  const input = observedStateSchema.safeParse(parseJson(execution.input ?? options.input));
  const given = input.success ? input.data : {};
  const result = execution.status === 'SUCCEEDED' ? deploymentResultSchema.safeParse(parseJson(execution.output)) : undefined;
  const deployment = result?.success ? (result.data as unknown as DeploymentResult) : undefined;

  const endpointName = deployment?.endpointName ?? seen.names?.endpoint ?? seen.config?.endpointName ?? given.endpointName;
  const failed = execution.status !== 'SUCCEEDED' && execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE';
  // A run the embedded AWS closed on shutdown never reached RecordFailure: no audit record, and it stopped in the
  // state it had entered last (which its cause names), not in the last one it left.
  const interrupted = execution.error === INTERRUPTED_ERROR;
  const auditUri =
    deployment?.auditUri ??
    (failed && !interrupted && endpointName && options.artifactsBucket
      ? toS3Uri({ bucket: options.artifactsBucket, key: artifactKeys.audit(endpointName, executionName) })
      : undefined);

  return {
    executionArn,
    executionName,
    status: execution.status ?? 'UNKNOWN',
    startDate: start?.toISOString(),
    stopDate: stop?.toISOString(),
    durationSeconds: start ? round(((stop ?? new Date()).getTime() - start.getTime()) / 1000) : undefined,
    endpointName,
    modelDataUrl: seen.config?.modelDataUrl ?? given.modelDataUrl,
    result: deployment,
    error: failed
      ? {
          error: execution.error ?? progress.executionError?.error ?? execution.status ?? 'Failed',
          cause: execution.cause ?? progress.executionError?.cause ?? '',
          state: interrupted ? progress.visits.at(-1)?.state : progress.failedState,
        }
      : undefined,
    cases: (deployment?.cases ?? seen.smoke?.cases ?? []) as SmokeCaseResult[],
    rollback: seen.rollback,
    auditUri,
    currentState: failed || execution.status === 'SUCCEEDED' ? undefined : progress.currentState,
    polls: progress.polls,
    retries: progress.retries,
    states: stepTimings(progress.events).steps,
  };
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The report as `--json` prints it: the smoke cases once, at the top level (not again inside `result`). */
export function reportDocument(report: RunReport): Omit<RunReport, 'result'> & { result?: Omit<DeploymentResult, 'cases'> } {
  if (!report.result) return report;
  const { cases: _cases, ...result } = report.result;
  return { ...report, result };
}
