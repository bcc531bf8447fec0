import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { s3, sfn } from './clients';
import type { ResolvedConfig } from './deployment-input';
import { describeError, isTransientAwsError } from './errors';
import { readExecutionTimings, type ExecutionTimings } from './execution-timings';
import { logger } from './logger';
import { artifactKeys } from './names';
import type {
  ArtifactIdentity,
  CaughtError,
  CreatedResource,
  DeploymentState,
  EndpointPoll,
  ExecutionRef,
  PipelineState,
  RollbackState,
  SmokeResults,
} from './pipeline-state';
import { gateResults, releaseFacts, type ReleaseFacts } from './release';
import { toS3Uri } from './s3-uri';

/**
 * The audit record: one JSON document per execution, success or failure, at audit/<endpoint>/<execution>.json in
 * the artifacts bucket — what was asked, what was deployed, what happened, and how long each step took. Written by
 * Finalize and RecordFailure; a re-run overwrites it with the same facts plus whatever happened since.
 */
export const AUDIT_SCHEMA_VERSION = 1;

/** The audit folder for an execution whose endpoint name never became valid. */
export const INVALID_ENDPOINT_FOLDER = '_invalid';

export interface AuditRecord {
  schemaVersion: typeof AUDIT_SCHEMA_VERSION;
  pipelineId: string;
  verdict: 'passed' | 'failed';
  endpointName?: string;
  execution: ExecutionRef;
  /** The execution input exactly as started (DescribeExecution). */
  input?: unknown;
  config?: ResolvedConfig;
  artifact?: ArtifactIdentity;
  resources: {
    model?: CreatedResource;
    endpointConfig?: CreatedResource;
    deployment?: DeploymentState;
    endpoint?: EndpointPoll;
  };
  /** The endpoint config served before this run (what a rollback restores). */
  previousConfigName?: string;
  /** The gate: the smoke cases run before the verdict (on the candidate, or on production). */
  smoke?: SmokeResults;
  /** Strategy, candidate, promotion, alarms watched, auto-rollback, exposure, verification. */
  release?: ReleaseFacts;
  error?: CaughtError;
  rollback?: RollbackState;
  rollbackError?: CaughtError;
  /** What Finalize did after the gate: deleted resources, autoscaling, warnings. */
  finalize?: Record<string, unknown>;
  timings?: ExecutionTimings;
  /** Facts that could not be gathered (history not readable, …), so a gap in the record is explained. */
  gaps?: string[];
  timestamps: { startedAt: string; recordedAt: string };
}

export interface AuditFacts {
  bucket: string;
  pipelineId: string;
  verdict: AuditRecord['verdict'];
  execution: ExecutionRef;
  /** A valid endpoint name, or undefined (the record goes to audit/_invalid/). */
  endpointName?: string;
  /** Whatever part of the pipeline state exists. */
  state: Partial<PipelineState>;
  /** The final error (RecordFailure's), when it differs from state.error. */
  error?: CaughtError;
  finalize?: Record<string, unknown>;
  now?: Date;
}

export function auditKey(endpointName: string | undefined, executionName: string): string {
  return artifactKeys.audit(endpointName ?? INVALID_ENDPOINT_FOLDER, executionName);
}

/** Gathers the execution's input and timings, writes the record, and returns its S3 URI. */
export async function writeAuditRecord(facts: AuditFacts): Promise<string> {
  const gaps: string[] = [];
  const input = await gather('execution input', gaps, () => readExecutionInput(facts.execution.id));
  const timings = await gather('step timings', gaps, () => readExecutionTimings(facts.execution.id));
  const record = buildAuditRecord(facts, { input, timings, gaps });
  const key = auditKey(facts.endpointName, facts.execution.name);
  await s3().send(
    new PutObjectCommand({
      Bucket: facts.bucket,
      Key: key,
      Body: JSON.stringify(record, null, 2),
      ContentType: 'application/json',
    }),
  );
  return toS3Uri({ bucket: facts.bucket, key });
}

export function buildAuditRecord(
  facts: AuditFacts,
  gathered: { input?: unknown; timings?: ExecutionTimings; gaps?: string[] },
): AuditRecord {
  const { state } = facts;
  const error = facts.error ?? state.error;
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    pipelineId: facts.pipelineId,
    verdict: facts.verdict,
    ...(facts.endpointName ? { endpointName: facts.endpointName } : {}),
    execution: facts.execution,
    ...(gathered.input !== undefined ? { input: gathered.input } : {}),
    ...(state.config ? { config: state.config } : {}),
    ...(state.artifact ? { artifact: state.artifact } : {}),
    resources: {
      ...(state.model ? { model: state.model } : {}),
      ...(state.endpointConfig ? { endpointConfig: state.endpointConfig } : {}),
      ...(state.deployment ? { deployment: state.deployment } : {}),
      ...(state.endpoint ? { endpoint: state.endpoint } : {}),
    },
    ...(state.deployment?.previousConfigName ? { previousConfigName: state.deployment.previousConfigName } : {}),
    ...(gateResults(state) ? { smoke: gateResults(state) } : {}),
    ...(state.config ? { release: releaseFacts(state, error) } : {}),
    ...(error ? { error } : {}),
    ...(state.rollback ? { rollback: state.rollback } : {}),
    ...(state.rollbackError ? { rollbackError: state.rollbackError } : {}),
    ...(facts.finalize ? { finalize: facts.finalize } : {}),
    ...(gathered.timings ? { timings: gathered.timings } : {}),
    ...(gathered.gaps?.length ? { gaps: gathered.gaps } : {}),
    timestamps: { startedAt: facts.execution.startTime, recordedAt: (facts.now ?? new Date()).toISOString() },
  };
}

async function readExecutionInput(executionArn: string): Promise<unknown> {
  const execution = await sfn().send(new DescribeExecutionCommand({ executionArn }));
  if (execution.input === undefined) return undefined;
  try {
    return JSON.parse(execution.input);
  } catch {
    return execution.input;
  }
}

/**
 * An audit record with a gap beats no record: a fact that cannot be read (no permission, an execution the local
 * runner no longer has) is noted in `gaps`. Throttling is still thrown, for the state machine to retry.
 */
async function gather<T>(what: string, gaps: string[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    logger.warn(`audit record: could not read the ${what}`, { error: describeError(error) });
    gaps.push(`${what}: ${describeError(error)}`);
    return undefined;
  }
}
