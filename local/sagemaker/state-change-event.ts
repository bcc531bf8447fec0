import type { EndpointRecord } from './store';

/** SageMaker's statuses as its EventBridge events spell them: `InService` → `IN_SERVICE`. */
export const eventStatus = (status: string): string => status.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

/**
 * The "SageMaker Endpoint State Change" event of an endpoint (source `aws.sagemaker`), as SageMaker puts it on the
 * default bus: the endpoint's name, ARN, config, status (IN_SERVICE, FAILED, …), failure reason and tags.
 */
export function endpointStateChangeEvent(record: Readonly<EndpointRecord>) {
  return {
    source: 'aws.sagemaker',
    'detail-type': 'SageMaker Endpoint State Change',
    resources: [record.EndpointArn],
    detail: {
      EndpointName: record.EndpointName,
      EndpointArn: record.EndpointArn,
      EndpointConfigName: record.EndpointConfigName,
      EndpointStatus: eventStatus(record.EndpointStatus),
      FailureReason: record.FailureReason,
      CreationTime: record.CreationTime,
      LastModifiedTime: record.LastModifiedTime,
      Tags: Object.fromEntries(record.Tags.map((t) => [t.Key, t.Value])),
    },
  };
}
