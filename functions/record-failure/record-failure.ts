import * as z from 'zod';
import { auditKey, writeAuditRecord } from '../lib/audit';
import { sagemakerName } from '../lib/deployment-input';
import { eventRelease, publishDeploymentEvent } from '../lib/deployment-events';
import type { PipelineEnvironment } from '../lib/environment';
import { describeError, isTransientAwsError } from '../lib/errors';
import { releaseLock } from '../lib/lock';
import { logger } from '../lib/logger';
import type { CaughtError, ExecutionRef, PipelineState } from '../lib/pipeline-state';
import { releaseFacts } from '../lib/release';
import { toS3Uri } from '../lib/s3-uri';
import { finalError } from './final-error';

/**
 * RecordFailure: the end of every failure path. The state may be anything from `{error, input}` (InputRejected, after
 * a ValidateInput failure: `input` is the execution input, of any JSON type) to a full pipeline state after a
 * rollback, so every field is read leniently and nothing missing makes it throw. It writes the audit record, releases the lock if this execution holds it, publishes
 * DeploymentFailed, and returns the error the execution fails with. Only throttling is thrown (to be retried):
 * a refused side effect is logged, and the execution still fails with the right error.
 */
const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional().default('') });
const lenientState = z.object({
  error: caughtErrorSchema.optional().catch(undefined),
  rollbackError: caughtErrorSchema.optional().catch(undefined),
  names: z.object({ endpoint: sagemakerName, model: z.string(), endpointConfig: z.string() }).optional().catch(undefined),
  config: z.object({ endpointName: sagemakerName }).loose().optional().catch(undefined),
  smoke: z.object({ cases: z.array(z.unknown()) }).loose().optional().catch(undefined),
  input: z.object({ endpointName: sagemakerName.optional().catch(undefined) }).loose().optional().catch(undefined),
});
const executionSchema = z.object({ id: z.string(), name: z.string(), startTime: z.string() });

export interface RecordFailureInput {
  state?: unknown;
  execution?: unknown;
  /** The execution input ($$.Execution.Input), for the audit record. */
  input?: unknown;
}

export async function recordFailure(input: RecordFailureInput, env: PipelineEnvironment, now: Date): Promise<CaughtError> {
  const rawState = isObject(input.state) ? input.state : {};
  const state = lenientState.parse(rawState);
  const execution = executionRef(input.execution, rawState, now);
  const error = finalError({ error: state.error, rollbackError: state.rollbackError, smokeCaseCount: state.smoke?.cases.length });

  // after ValidateInput the state is a pipeline state; before, only the execution input (with a name that may be valid)
  const validated = state.names !== undefined;
  const endpointName = state.names?.endpoint ?? state.config?.endpointName ?? state.input?.endpointName;
  const auditUri = toS3Uri({ bucket: env.artifactsBucket, key: auditKey(endpointName, execution.name) });

  await attempt('write the audit record', () =>
    writeAuditRecord({
      bucket: env.artifactsBucket,
      pipelineId: env.pipelineId,
      verdict: 'failed',
      execution,
      input: input.input,
      endpointName,
      state: validated ? (rawState as Partial<PipelineState>) : {},
      error,
      now,
    }),
  );
  if (validated && endpointName) {
    await attempt('release the lock', () =>
      releaseLock({ bucket: env.artifactsBucket, endpointName, executionArn: execution.id }),
    );
  }
  await attempt('publish the DeploymentFailed event', () =>
    publishDeploymentEvent(env.deploymentEventsTopicArn, {
      type: 'DeploymentFailed',
      endpointName: endpointName ?? '_invalid',
      execution: { arn: execution.id, name: execution.name },
      ...(state.names ? { model: state.names.model, config: state.names.endpointConfig } : {}),
      verdict: 'failed',
      error,
      auditUri,
      ...(validated ? { release: eventRelease(releaseFacts(rawState as Partial<PipelineState>, error)) } : {}),
    }),
  );
  return error;
}

async function attempt(what: string, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    logger.error(`RecordFailure could not ${what}; the execution still fails with its error`, {
      error: describeError(error),
    });
  }
}

/** The context object's execution (always passed by the ASL); the state's, or a stand-in, if not. */
function executionRef(value: unknown, state: Record<string, unknown>, now: Date): ExecutionRef {
  const parsed = executionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fromState = executionSchema.safeParse(state.execution);
  if (fromState.success) return fromState.data;
  return { id: 'unknown', name: `unknown-${now.getTime()}`, startTime: now.toISOString() };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
