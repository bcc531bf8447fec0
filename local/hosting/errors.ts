/**
 * A model could not be hosted: the message is what SageMaker would put in the endpoint's FailureReason,
 * naming the cause a person can act on (the image mapping, the exit code and stderr, the health check).
 */
export class HostingError extends Error {
  override readonly name = 'HostingError';
}
