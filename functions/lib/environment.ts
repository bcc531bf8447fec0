import * as z from 'zod';
import { deploymentDefaultsSchema, type DeploymentDefaults } from './deployment-input';
import { defaultReferenceEndpoints, REFERENCE_ENDPOINT_PATTERN } from './reference-endpoints';

/**
 * What the CDK stack (and the embedded AWS, which mirrors it) gives every step function as environment variables.
 * Read once per cold start; a missing variable is a deployment bug, so it fails loudly.
 */
const environmentSchema = z.object({
  MODELS_BUCKET: z.string().min(3),
  ARTIFACTS_BUCKET: z.string().min(3),
  SAGEMAKER_ROLE_ARN: z.string().startsWith('arn:'),
  ASYNC_SUCCESS_TOPIC_ARN: z.string().startsWith('arn:'),
  ASYNC_ERROR_TOPIC_ARN: z.string().startsWith('arn:'),
  DEPLOYMENT_EVENTS_TOPIC_ARN: z.string().startsWith('arn:'),
  /** Tag value stamped on every SageMaker resource the pipeline creates; IAM conditions key on it. */
  PIPELINE_ID: z.string().min(1),
  /** Every endpoint name must start with this (IAM scopes SageMaker actions to it). Empty: any name. */
  NAME_PREFIX: z.string().default(''),
  /**
   * JSON array of the endpoint names (`*` wildcards) a smoke case may take its baseline from; the stack grants
   * InvokeEndpoint on exactly these. Absent: the name prefix's endpoints.
   */
  REFERENCE_ENDPOINTS: z.string().optional(),
  /** KMS key for async outputs and volumes; optional. */
  KMS_KEY_ARN: z.string().optional(),
  /** JSON of DeploymentDefaults: the stack's configuration, lowest precedence. */
  DEPLOYMENT_DEFAULTS: z.string().default('{}'),
});

export interface PipelineEnvironment {
  modelsBucket: string;
  artifactsBucket: string;
  sagemakerRoleArn: string;
  asyncSuccessTopicArn: string;
  asyncErrorTopicArn: string;
  deploymentEventsTopicArn: string;
  pipelineId: string;
  namePrefix: string;
  /** Endpoint name patterns a baseline may be invoked from (reference-endpoints.ts). */
  referenceEndpoints: string[];
  kmsKeyArn?: string;
  defaults: DeploymentDefaults;
}

/** The names of the environment variables, for the CDK stack and the local runner to fill in. */
export type PipelineEnvironmentVariables = z.input<typeof environmentSchema>;

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): PipelineEnvironment {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`The function is misconfigured: environment variable(s) ${fields} missing or invalid`);
  }
  const e = parsed.data;
  return {
    modelsBucket: e.MODELS_BUCKET,
    artifactsBucket: e.ARTIFACTS_BUCKET,
    sagemakerRoleArn: e.SAGEMAKER_ROLE_ARN,
    asyncSuccessTopicArn: e.ASYNC_SUCCESS_TOPIC_ARN,
    asyncErrorTopicArn: e.ASYNC_ERROR_TOPIC_ARN,
    deploymentEventsTopicArn: e.DEPLOYMENT_EVENTS_TOPIC_ARN,
    pipelineId: e.PIPELINE_ID,
    namePrefix: e.NAME_PREFIX,
    referenceEndpoints: e.REFERENCE_ENDPOINTS === undefined ? defaultReferenceEndpoints(e.NAME_PREFIX) : referenceEndpoints(e.REFERENCE_ENDPOINTS),
    kmsKeyArn: e.KMS_KEY_ARN || undefined,
    defaults: deploymentDefaultsSchema.parse(JSON.parse(e.DEPLOYMENT_DEFAULTS)),
  };
}

const referenceEndpointsSchema = z.array(z.string().regex(REFERENCE_ENDPOINT_PATTERN)).min(1);

function referenceEndpoints(json: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  const list = referenceEndpointsSchema.safeParse(parsed);
  if (!list.success) throw new Error(`The function is misconfigured: REFERENCE_ENDPOINTS is not a JSON array of endpoint name patterns: ${json}`);
  return list.data;
}
