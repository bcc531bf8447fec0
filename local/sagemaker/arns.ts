import { LOCAL_ACCOUNT_ID } from '../service';

export type SageMakerResource = 'model' | 'endpoint-config' | 'endpoint';

/** SageMaker's ARNs lower-case the resource name: `arn:aws:sagemaker:us-east-1:000000000000:endpoint/my-endpoint`. */
export function sageMakerArn(region: string, resource: SageMakerResource, name: string): string {
  return `arn:aws:sagemaker:${region}:${LOCAL_ACCOUNT_ID}:${resource}/${name.toLowerCase()}`;
}
