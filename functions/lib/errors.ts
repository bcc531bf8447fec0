/**
 * The error names of the workflow are a public contract: the state machine's Catch/Retry rules, the CLI's exit
 * codes and the README's failure table all key on them. Each step throws one of these; Step Functions sees
 * `error.name` as the Lambda's errorType and `error.message` as the cause.
 */
export const ERROR_NAMES = [
  'InvalidInput',
  'ArtifactNotFound',
  'InvalidModelArtifact',
  'DeploymentInProgress',
  'EndpointCreationFailed',
  'EndpointUpdateFailed',
  'EndpointTimeout',
  'SmokeInvocationFailed',
  'OutputTimeout',
  'BaselineMismatch',
  'RollbackFailed',
  'EndpointNotOwned',
] as const;

export type PipelineErrorName = (typeof ERROR_NAMES)[number];

export abstract class PipelineError extends Error {
  abstract override readonly name: PipelineErrorName;
}

export class InvalidInput extends PipelineError {
  override readonly name = 'InvalidInput';
}
export class ArtifactNotFound extends PipelineError {
  override readonly name = 'ArtifactNotFound';
}
export class InvalidModelArtifact extends PipelineError {
  override readonly name = 'InvalidModelArtifact';
}
export class DeploymentInProgress extends PipelineError {
  override readonly name = 'DeploymentInProgress';
}
export class EndpointCreationFailed extends PipelineError {
  override readonly name = 'EndpointCreationFailed';
}
export class EndpointUpdateFailed extends PipelineError {
  override readonly name = 'EndpointUpdateFailed';
}
export class EndpointTimeout extends PipelineError {
  override readonly name = 'EndpointTimeout';
}
export class SmokeInvocationFailed extends PipelineError {
  override readonly name = 'SmokeInvocationFailed';
}
export class OutputTimeout extends PipelineError {
  override readonly name = 'OutputTimeout';
}
export class BaselineMismatch extends PipelineError {
  override readonly name = 'BaselineMismatch';
}
export class RollbackFailed extends PipelineError {
  override readonly name = 'RollbackFailed';
}

/** An existing endpoint without this pipeline's tag: another team's, or made by hand. `"adopt": true` takes it over. */
export class EndpointNotOwned extends PipelineError {
  override readonly name = 'EndpointNotOwned';
}

/**
 * A failure worth retrying (a throttled or unavailable dependency). The state machine retries it with backoff;
 * it is never a terminal error name.
 */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

const TRANSIENT_AWS_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'RequestTimeout',
  'TimeoutError',
]);

/** True for AWS SDK errors that say "try again later" rather than "this cannot work". */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return TRANSIENT_AWS_ERRORS.has(error.name) || (status !== undefined && status >= 500);
}

/** The name of an AWS SDK error, for matching service error codes without importing every exception class. */
export function awsErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** SageMaker reports a missing resource as ValidationException with "Could not find …" in the message. */
export function isSageMakerNotFound(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ResourceNotFound' ||
      (error.name === 'ValidationException' && /could not find|does not exist/i.test(error.message)))
  );
}

/** True when S3 says the object or bucket is not there. */
export function isS3NotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.name === 'NoSuchBucket' || status === 404;
}

/** "Name: message" of any thrown value, for the causes a person reads. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
