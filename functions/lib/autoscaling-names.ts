import { VARIANT_NAME } from '../create-endpoint-config/create-endpoint-config';

/**
 * What Finalize registers with Application Auto Scaling, shared with the stack so its IAM conditions
 * (application-autoscaling:service-namespace / scalable-dimension, the alarm's ARN) match the calls exactly.
 */
export const SCALABLE_NAMESPACE = 'sagemaker';
export const SCALABLE_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

export function scalableResourceId(endpointName: string): string {
  return `endpoint/${endpointName}/variant/${VARIANT_NAME}`;
}

/** Named after the endpoint so IAM can scope PutMetricAlarm to the pipeline's name prefix. */
export function scaleOutFromZeroAlarmName(endpointName: string): string {
  return `${endpointName}-scale-out-from-zero`;
}
