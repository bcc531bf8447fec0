/**
 * The events that end the pipeline's waits, named once for the CDK stack, the embedded AWS and the AwaitEvent step.
 * Endpoint statuses an endpoint leaves on its own (CREATING, UPDATING, …) wake nothing: only the ones that end a wait.
 */
export const ENDPOINT_STATE_CHANGE = {
  source: 'aws.sagemaker',
  detailType: 'SageMaker Endpoint State Change',
  /** Statuses that end a wait (ready, failed, or gone), as SageMaker's events spell them. */
  settledStatuses: ['IN_SERVICE', 'FAILED', 'OUT_OF_SERVICE', 'DELETING', 'UPDATE_ROLLBACK_FAILED'],
} as const;

/** The EventBridge rule's pattern: settled state changes of endpoints whose names start with the stack's prefix. */
export function endpointStateChangePattern(namePrefix: string) {
  return {
    source: [ENDPOINT_STATE_CHANGE.source],
    'detail-type': [ENDPOINT_STATE_CHANGE.detailType],
    detail: {
      EndpointStatus: [...ENDPOINT_STATE_CHANGE.settledStatuses],
      ...(namePrefix ? { EndpointName: [{ prefix: namePrefix }] } : {}),
    },
  };
}

/** Where waiting task tokens are kept in the artifacts bucket (expired with the other transient prefixes). */
export const WAITS_PREFIX = 'waits/';
