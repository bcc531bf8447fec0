import * as z from 'zod';
import { describeIssues as describeInputIssues, fieldNames } from './input-issues';
import { isInstanceType, nearestInstanceType } from './instance-types';
import { S3_URI } from './s3-uri';

/**
 * The execution input, the `deploy.json` next to an artifact and the stack's defaults share these schemas.
 * Strict objects: an unknown field is almost always a typo ("instancetype"), and silently ignoring it would
 * deploy something the user did not ask for.
 */

/** SageMaker's rule for model, endpoint-config and endpoint names. */
export const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const SAGEMAKER_NAME_MAX = 63;

const s3Uri = z.string().regex(S3_URI, 'must be an S3 URI: s3://bucket/key');
const seconds = (max: number) => z.number().int().min(1).max(max);

export const sagemakerName = z
  .string()
  .max(SAGEMAKER_NAME_MAX, `must be at most ${SAGEMAKER_NAME_MAX} characters`)
  .regex(SAGEMAKER_NAME, 'must be letters, digits and hyphens, starting and ending with a letter or digit (SageMaker\'s name rule)');

const compareSchema = z.discriminatedUnion(
  'mode',
  [
  z.strictObject({
    mode: z.literal('exact'),
    /** JSONPath selecting the part of the output to compare; default the whole document. */
    path: z.string().startsWith('$').optional(),
  }),
  z.strictObject({
    mode: z.literal('numeric'),
    path: z.string().startsWith('$').optional(),
    absTol: z.number().min(0).default(1e-6),
    relTol: z.number().min(0).default(1e-4),
  }),
  z.strictObject({
    mode: z.literal('topk'),
    /** JSONPath to the ranked ids, e.g. $.recommendations[*].item_id */
    path: z.string().startsWith('$'),
    k: z.number().int().min(1).max(1000),
    minOverlap: z.number().min(0).max(1),
  }),
  ],
  { error: 'needs "mode": "exact", "numeric" or "topk" (topk with "path", "k" and "minOverlap")' },
);

const baselineSchema = z.union([z.strictObject({ uri: s3Uri }), z.strictObject({ endpointName: sagemakerName })], {
  error: 'must be {"uri": "s3://bucket/key"} (a stored baseline) or {"endpointName": "…"} (a reference endpoint)',
});

export const smokeTestSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/, 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit'),
  payloadUri: s3Uri,
  contentType: z.string().min(1).max(1024).default('application/json'),
  accept: z.string().min(1).max(1024).optional(),
  baseline: baselineSchema,
  compare: compareSchema,
  /** Run this case again against production after a candidate is promoted (release.verify); default true. */
  verify: z.boolean().optional(),
});

const asyncSchema = z.strictObject({
  maxConcurrentInvocationsPerInstance: z.number().int().min(1).max(1000).optional(),
  /** SageMaker allows at most 3600 seconds for an asynchronous invocation. */
  invocationTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
});

const pollSchema = z.strictObject({
  endpointSeconds: seconds(3600).optional(),
  outputSeconds: seconds(3600).optional(),
  lockSeconds: seconds(3600).optional(),
});

const timeoutsSchema = z.strictObject({
  endpointSeconds: seconds(6 * 3600).optional(),
  outputSeconds: seconds(6 * 3600).optional(),
  lockSeconds: seconds(24 * 3600).optional(),
});

const autoscalingSchema = z
  .strictObject({
    /** 0 enables scale-to-zero: instances are removed when the queue is empty. */
    minCapacity: z.number().int().min(0).max(100).default(0),
    maxCapacity: z.number().int().min(1).max(100).default(2),
    /** Target for ApproximateBacklogSizePerInstance. */
    targetBacklogPerInstance: z.number().min(0.1).max(10000).default(5),
    scaleInCooldownSeconds: z.number().int().min(0).max(3600).default(300),
    scaleOutCooldownSeconds: z.number().int().min(0).max(3600).default(60),
  })
  .refine((a) => a.minCapacity <= a.maxCapacity, { message: 'minCapacity must not exceed maxCapacity' });

/**
 * A `__proto__` key of parsed JSON is an own property, but a record schema drops it without a word: refused by name,
 * so a variable is never silently missing from the model's environment. (`A=B` and `""` fail the name pattern.)
 */
const environmentSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    if (typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'cannot be an environment variable name here (JavaScript reserves it)' });
    }
  })
  .pipe(
    z
      .record(
        z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$/, 'environment variable names are letters, digits and _'),
        z.string().max(1024),
      )
      .refine((e) => Object.keys(e).length <= 100, { message: 'at most 100 environment variables' }),
  );

const capacitySizeSchema = z.strictObject({
  type: z.enum(['INSTANCE_COUNT', 'CAPACITY_PERCENT']),
  value: z.number().int().min(1),
});

/**
 * How SageMaker shifts production to the new config (UpdateEndpoint's DeploymentConfig): blue/green with all traffic
 * at once, a canary first or linear steps, or a rolling update in batches. `size` is the canary size, the linear step
 * or the rolling batch.
 */
const routingSchema = z
  .strictObject({
    type: z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR', 'ROLLING']),
    size: capacitySizeSchema.optional(),
    /** Between traffic steps (blue/green) or batches (rolling): the baking time alarms are watched. */
    waitIntervalSeconds: z.number().int().min(0).max(3600).optional(),
    /** Blue/green: how long the old fleet is kept after all traffic moved (a final baking period). */
    terminationWaitSeconds: z.number().int().min(0).max(3600).optional(),
    maximumExecutionTimeoutSeconds: z.number().int().min(600).max(28800).optional(),
  })
  .refine((r) => r.type === 'ALL_AT_ONCE' || r.size !== undefined, {
    message: 'size is required for CANARY, LINEAR and ROLLING ({"type": "INSTANCE_COUNT" | "CAPACITY_PERCENT", "value": n})',
    path: ['size'],
  })
  .refine((r) => r.size?.type !== 'CAPACITY_PERCENT' || r.size.value <= 100, {
    message: 'a CAPACITY_PERCENT size is at most 100',
    path: ['size', 'value'],
  });

/** CloudWatch alarm names: 1-255 characters. */
const alarmName = z.string().min(1).max(255);

/** How a new model reaches an endpoint that already serves (a new endpoint is created and tested directly). */
const releaseSchema = z.strictObject({
  /** candidate: test on a temporary endpoint, then promote; in-place: update production, then test it. */
  strategy: z.enum(['candidate', 'in-place']).optional(),
  routing: routingSchema.optional(),
  /** CloudWatch alarms SageMaker watches while it shifts traffic; one in ALARM rolls production back. */
  alarms: z.array(alarmName).max(10).optional(),
  /** Also watch alarms the pipeline creates for the endpoint (failed invocations, age of the oldest queued request). */
  createAlarms: z.boolean().optional(),
  /** After promotion, run the smoke cases marked verify (all by default) against production. */
  verify: z.boolean().optional(),
});

/** Everything a deployment can set, all optional: the common shape of defaults, deploy.json and the input. */
const deploymentFields = {
  endpointName: sagemakerName.optional(),
  image: z.string().min(1).max(255).optional(),
  instanceType: z
    .string()
    .refine(isInstanceType, {
      error: (issue) => `'${String(issue.input)}' is not a SageMaker hosting instance type (did you mean ${nearestInstanceType(String(issue.input))}?)`,
    })
    .optional(),
  instanceCount: z.number().int().min(1).max(100).optional(),
  environment: environmentSchema.optional(),
  async: asyncSchema.optional(),
  smokeTests: z.array(smokeTestSchema).max(20).optional(),
  poll: pollSchema.optional(),
  timeouts: timeoutsSchema.optional(),
  onFailure: z.enum(['rollback', 'keep']).optional(),
  /** How many superseded model/config pairs Finalize keeps for quick manual rollback. */
  retainPrevious: z.number().int().min(0).max(20).optional(),
  autoscaling: autoscalingSchema.optional(),
  release: releaseSchema.optional(),
};

export const deploymentDefaultsSchema = z.strictObject(deploymentFields);
export const deployFileSchema = z.strictObject(deploymentFields);
export const executionInputSchema = z.strictObject({
  modelDataUrl: s3Uri,
  ...deploymentFields,
  /**
   * Take over an existing endpoint that does not carry this pipeline's tag: it is tagged, then deployed. Only in the
   * execution input (never a default or deploy.json), so taking over someone's endpoint is always a deliberate act.
   */
  adopt: z.boolean().optional(),
});

export type DeploymentDefaults = z.infer<typeof deploymentDefaultsSchema>;
export type DeployFile = z.infer<typeof deployFileSchema>;
export type ExecutionInput = z.input<typeof executionInputSchema>;
export type SmokeTest = z.infer<typeof smokeTestSchema>;
export type Compare = z.infer<typeof compareSchema>;
export type Autoscaling = z.infer<typeof autoscalingSchema>;
export type Routing = z.infer<typeof routingSchema>;

/** Built-in defaults, the lowest layer under the stack's own. */
export const BUILT_IN_DEFAULTS = {
  instanceType: 'ml.m5.large',
  instanceCount: 1,
  environment: {} as Record<string, string>,
  async: { maxConcurrentInvocationsPerInstance: 4, invocationTimeoutSeconds: 900 },
  smokeTests: [] as SmokeTest[],
  // Events resume the endpoint and output waits; these re-checks only bound what a lost event costs.
  poll: { endpointSeconds: 300, outputSeconds: 180, lockSeconds: 30 },
  timeouts: { endpointSeconds: 3600, outputSeconds: 1200, lockSeconds: 3600 },
  onFailure: 'rollback' as const,
  retainPrevious: 2,
  release: {
    strategy: 'candidate' as const,
    routing: { type: 'ALL_AT_ONCE' as const, waitIntervalSeconds: 0, terminationWaitSeconds: 0 } as Routing,
    alarms: [] as string[],
    createAlarms: false,
    verify: true,
  },
};

/** The release settings after every layer is merged. */
export interface ResolvedRelease {
  strategy: 'candidate' | 'in-place';
  routing: Routing;
  alarms: string[];
  createAlarms: boolean;
  /** False also when no smoke case is marked verify: there is nothing to run after promotion. */
  verify: boolean;
}

/** The configuration a run deploys, after every layer is merged: nothing left optional that a step needs. */
export interface ResolvedConfig {
  modelDataUrl: string;
  endpointName: string;
  image: string;
  instanceType: string;
  instanceCount: number;
  environment: Record<string, string>;
  async: { maxConcurrentInvocationsPerInstance: number; invocationTimeoutSeconds: number };
  smokeTests: SmokeTest[];
  poll: { endpointSeconds: number; outputSeconds: number; lockSeconds: number };
  timeouts: { endpointSeconds: number; outputSeconds: number; lockSeconds: number };
  onFailure: 'rollback' | 'keep';
  retainPrevious: number;
  autoscaling?: Autoscaling;
  release: ResolvedRelease;
  /** The execution input said "adopt": true. */
  adopt: boolean;
}

type Layer = Partial<Omit<ResolvedConfig, 'modelDataUrl'>> & { modelDataUrl?: string };

/**
 * Merges layers, lowest precedence first. Objects (environment, async, poll, timeouts, autoscaling) merge by key;
 * scalars and arrays (smokeTests) are replaced whole — a run's smoke tests are a set, not a patch.
 */
export function mergeLayers(...layers: Layer[]): Layer {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const previous = merged[key];
      merged[key] =
        isPlainObject(value) && isPlainObject(previous) ? { ...previous, ...value } : value;
    }
  }
  return merged as Layer;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One line per problem, each naming the field, in words (see input-issues.ts); unknown fields get a "did you mean". */
export function describeIssues(error: z.ZodError): string {
  return describeInputIssues(error, FIELD_NAMES);
}

const FIELD_NAMES = fieldNames(executionInputSchema);
