import * as z from 'zod';
import { smokeTestSchema } from './deployment-input';
import type { SmokeCaseState } from './pipeline-state';

/**
 * The zod schema of one SmokeTests iteration's state (SmokeCaseState in pipeline-state.ts), shared by SmokeInvoke,
 * CheckOutput and CompareToBaseline. Lenient objects (not strict): the Map's ItemSelector may grow fields.
 */
const executionRefSchema = z.object({ id: z.string().min(1), name: z.string().min(1), startTime: z.string() });

const smokeInvocationSchema = z.object({
  inferenceId: z.string().min(1),
  inputLocation: z.string().startsWith('s3://'),
  outputLocation: z.string().startsWith('s3://'),
  failureLocation: z.string().startsWith('s3://').optional(),
  invokedAt: z.string(),
});

const outputPollSchema = z.object({
  ready: z.boolean(),
  polls: z.number().int().min(0),
  nextPollSeconds: z.number(),
  checkedAt: z.string(),
});

export const smokeCaseStateSchema = z.object({
  case: smokeTestSchema,
  index: z.number().int().min(0),
  endpointName: z.string().min(1),
  target: z.string().min(1).optional(),
  phase: z.enum(['gate', 'verify']).optional(),
  execution: executionRefSchema,
  poll: z.object({ endpointSeconds: z.number(), outputSeconds: z.number(), lockSeconds: z.number() }),
  timeouts: z.object({ endpointSeconds: z.number(), outputSeconds: z.number(), lockSeconds: z.number() }),
  invocationTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  invocation: smokeInvocationSchema.optional(),
  output: outputPollSchema.optional(),
});

export type InvokedSmokeCaseState = SmokeCaseState & { invocation: NonNullable<SmokeCaseState['invocation']> };

/** Parses an iteration's state; a malformed one is a workflow bug, so the message names the fields. */
export function parseSmokeCaseState(input: unknown): SmokeCaseState {
  const parsed = smokeCaseStateSchema.safeParse(input);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`The smoke case state is malformed (a workflow definition bug): ${fields}`);
  }
  return parsed.data;
}

/** Parses the state of an iteration that has been invoked already (CheckOutput, CompareToBaseline). */
export function parseInvokedSmokeCaseState(input: unknown): InvokedSmokeCaseState {
  const state = parseSmokeCaseState(input);
  if (!state.invocation) {
    throw new Error(`The smoke case state of case ${state.case.name} has no invocation (a workflow definition bug)`);
  }
  return state as InvokedSmokeCaseState;
}

/** The endpoint a case is sent to: the candidate at the gate, production otherwise. */
export function invokedEndpoint(state: SmokeCaseState): string {
  return state.target ?? state.endpointName;
}

/**
 * The name a case's S3 objects and InferenceId derive from: the case name at the gate, with ".verify" after
 * promotion, so the verification never overwrites (or is mistaken for) the gate's output and report.
 */
export function caseObjectName(state: SmokeCaseState): string {
  return state.phase === 'verify' ? `${state.case.name}.verify` : state.case.name;
}
