import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from './clients';
import type { ResolvedConfig } from './deployment-input';
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
import { runTimeline, type RunTimeline } from './run-timeline';
import { toS3Uri } from './s3-uri';

/**
 * The audit record: one JSON document per execution, success or failure, at audit/<endpoint>/<execution>.json in
 * the artifacts bucket — what was asked, what was deployed, what happened, and when. Written by Finalize and
 * RecordFailure from what the run carries (its state, and the execution input the ASL passes them from the context
 * object): no Step Functions call. A re-run overwrites it with the same facts plus whatever happened since.
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
  /** The execution input exactly as started ($$.Execution.Input). */
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
  /** When the run's milestones happened, from its state. */
  timeline: RunTimeline;
  timestamps: { startedAt: string; recordedAt: string };
}

export interface AuditFacts {
  bucket: string;
  pipelineId: string;
  verdict: AuditRecord['verdict'];
  execution: ExecutionRef;
  /** The execution input ($$.Execution.Input); any JSON value. */
  input?: unknown;
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

/** Writes the record and returns its S3 URI. */
export async function writeAuditRecord(facts: AuditFacts): Promise<string> {
  const key = auditKey(facts.endpointName, facts.execution.name);
  await s3().send(
    new PutObjectCommand({
      Bucket: facts.bucket,
      Key: key,
      Body: JSON.stringify(buildAuditRecord(facts), null, 2),
      ContentType: 'application/json',
    }),
  );
  return toS3Uri({ bucket: facts.bucket, key });
}

export function buildAuditRecord(facts: AuditFacts): AuditRecord {
  const { state } = facts;
  const now = facts.now ?? new Date();
  const error = facts.error ?? state.error;
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    pipelineId: facts.pipelineId,
    verdict: facts.verdict,
    ...(facts.endpointName ? { endpointName: facts.endpointName } : {}),
    execution: facts.execution,
    ...(facts.input !== undefined ? { input: facts.input } : {}),
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
    timeline: runTimeline(state, facts.execution, now),
    timestamps: { startedAt: facts.execution.startTime, recordedAt: now.toISOString() },
  };
}
