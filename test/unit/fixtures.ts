import { Readable } from 'node:stream';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { BUILT_IN_DEFAULTS, type ResolvedConfig } from '../../functions/lib/deployment-input';
import { resourceNames } from '../../functions/lib/names';
import type { ExecutionRef, PipelineState, SmokeCaseState, SmokeInvocation } from '../../functions/lib/pipeline-state';
import { resetClients } from '../../functions/lib/clients';

/** Shared fixtures for the step unit tests. Coordinate by appending exports only. */

export const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/recommender:latest';

export const TEST_ENV = {
  MODELS_BUCKET: 'aep-models',
  ARTIFACTS_BUCKET: 'aep-artifacts',
  SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/aep-sagemaker',
  ASYNC_SUCCESS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:aep-async-success',
  ASYNC_ERROR_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:aep-async-error',
  DEPLOYMENT_EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:aep-deployment-events',
  PIPELINE_ID: 'aep',
  NAME_PREFIX: '',
  DEPLOYMENT_DEFAULTS: JSON.stringify({ image: IMAGE }),
} as const;

/** Sets the step environment (plus overrides; `undefined` deletes a variable) and drops cached clients. */
export function setTestEnvironment(overrides: Record<string, string | undefined> = {}): void {
  for (const [name, value] of Object.entries({ ...TEST_ENV, KMS_KEY_ARN: undefined, REFERENCE_ENDPOINTS: undefined, ...overrides })) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetClients();
}

export const EXECUTION: ExecutionRef = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:aep-deploy:run-1',
  name: 'run-1',
  startTime: '2025-01-01T00:00:00.000Z',
};

export const OTHER_EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:aep-deploy:run-0';

export const MODEL_DATA_URL = 's3://aep-models/models/recommender/v2/model.tar.gz';

export function resolvedConfig(overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return {
    ...structuredClone(BUILT_IN_DEFAULTS),
    adopt: false,
    // Short re-check intervals, so the schedule arithmetic in the tests reads in familiar numbers.
    poll: { endpointSeconds: 30, outputSeconds: 10, lockSeconds: 30 },
    modelDataUrl: MODEL_DATA_URL,
    endpointName: 'recommender',
    image: IMAGE,
    smokeTests: [
      {
        name: 'shoes-top5',
        payloadUri: 's3://aep-models/payloads/shoes.json',
        contentType: 'application/json',
        baseline: { uri: 's3://aep-models/baselines/shoes.json' },
        compare: { mode: 'topk', path: '$.recommendations[*].item_id', k: 5, minOverlap: 0.8 },
      },
    ],
    ...overrides,
  };
}

/** A valid state as it leaves ValidateInput (plus whatever later steps wrote, via overrides). */
export function pipelineState(overrides: Partial<PipelineState> = {}): PipelineState {
  const config = overrides.config ?? resolvedConfig();
  return {
    execution: EXECUTION,
    config,
    names: resourceNames(config.endpointName, EXECUTION.id),
    artifact: {
      uri: MODEL_DATA_URL,
      bucket: 'aep-models',
      key: 'models/recommender/v2/model.tar.gz',
      etag: '9b2cf535f27731c974343645a3985328',
      sizeBytes: 1024,
    },
    ...overrides,
  };
}

/**
 * An S3 GetObject Body as the SDK returns it in Node (a Readable with the SDK's transform helpers), for
 * aws-sdk-client-mock. Built here rather than with @smithy's sdkStreamMixin, which is not a direct dependency.
 */
export function s3Body(content: string | Uint8Array): GetObjectCommandOutput['Body'] {
  const bytes = Buffer.from(content);
  return Object.assign(Readable.from([bytes]), {
    transformToString: async (encoding?: string) => bytes.toString((encoding ?? 'utf-8') as BufferEncoding),
    transformToByteArray: async () => new Uint8Array(bytes),
    transformToWebStream: () => {
      throw new Error('not used by the steps');
    },
  }) as GetObjectCommandOutput['Body'];
}

/** An AWS SDK service error as the SDK throws it (name + HTTP status). */
export function awsError(name: string, message = name, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode }, $fault: httpStatusCode >= 500 ? 'server' : 'client' });
}

/** The input of one SmokeTests iteration (the Map's ItemSelector applied to pipelineState()), plus overrides. */
export function smokeCaseState(overrides: Partial<SmokeCaseState> = {}): SmokeCaseState {
  const state = pipelineState();
  return {
    case: state.config.smokeTests[0],
    index: 0,
    endpointName: state.names.endpoint,
    execution: state.execution,
    poll: state.config.poll,
    timeouts: state.config.timeouts,
    ...overrides,
  };
}

/** A SmokeInvocation as SmokeInvoke returns it for smokeCaseState(). */
export function smokeInvocation(overrides: Partial<SmokeInvocation> = {}): SmokeInvocation {
  return {
    inferenceId: 'run-1-shoes-top5-0123456789',
    inputLocation: 's3://aep-artifacts/async-inputs/recommender/run-1/shoes-top5',
    outputLocation: 's3://aep-artifacts/async-outputs/recommender/out-1.out',
    failureLocation: 's3://aep-artifacts/async-outputs/recommender/out-1-error.out',
    invokedAt: '2025-01-01T00:10:00.000Z',
    ...overrides,
  };
}
