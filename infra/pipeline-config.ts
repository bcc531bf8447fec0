import * as z from 'zod';
import { describeIssues } from '../functions/lib/deployment-input';

/**
 * The stack's configuration: the `aep` object of cdk.json's context (or `cdk synth -c aep='{…}'`).
 * `defaults`, `autoscaling` and `retainPrevious` are validated by the construct with the workflow's own schema.
 */
export const pipelineConfigSchema = z.strictObject({
  /** See AsyncEndpointPipelineProps.pipelineId. */
  pipelineId: z.string().optional(),
  namePrefix: z.string().default(''),
  /** See AsyncEndpointPipelineProps.referenceEndpoints. */
  referenceEndpoints: z.array(z.string()).optional(),
  defaults: z.record(z.string(), z.unknown()).default({}),
  retainPrevious: z.number().int().optional(),
  autoscaling: z.record(z.string(), z.unknown()).optional(),
  /** Existing customer managed key for buckets, topics and SageMaker outputs/volumes. */
  kmsKeyArn: z.string().startsWith('arn:').optional(),
  /** Existing buckets to use instead of new ones. */
  modelsBucketName: z.string().min(3).optional(),
  artifactsBucketName: z.string().min(3).optional(),
  /** Existing SageMaker execution role (the pipeline adds its permissions to it). */
  sagemakerRoleArn: z.string().startsWith('arn:').optional(),
  /** Existing topics. */
  asyncSuccessTopicArn: z.string().startsWith('arn:').optional(),
  asyncErrorTopicArn: z.string().startsWith('arn:').optional(),
  deploymentEventsTopicArn: z.string().startsWith('arn:').optional(),
  logRetentionDays: z.number().int().positive().optional(),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  transientRetentionDays: z.number().int().positive().default(30),
});

export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;

export class InvalidStackConfiguration extends Error {
  override readonly name = 'InvalidStackConfiguration';
}

/** Parses the `aep` context value; a string (from `-c aep=…`) is read as JSON. */
export function parsePipelineConfig(value: unknown): PipelineConfig {
  let raw = value ?? {};
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (error) {
      throw new InvalidStackConfiguration(`The "aep" context is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = pipelineConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidStackConfiguration(`The "aep" context in cdk.json is invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
