import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export type SageMakerResourceType = 'model' | 'endpoint-config' | 'endpoint';

/**
 * ARN pattern of the SageMaker resources a pipeline may touch: every model, endpoint-config and endpoint name
 * starts with the pipeline's name prefix (model and config names are `<endpoint>-<run id>`).
 * SageMaker lower-cases resource names in its ARNs, so the pattern is lower-cased too.
 */
export function sageMakerArnPattern(scope: Construct, type: SageMakerResourceType, namePrefix: string): string {
  return Stack.of(scope).formatArn({ service: 'sagemaker', resource: type, resourceName: `${namePrefix.toLowerCase()}*` });
}

export function sageMakerArnPatterns(scope: Construct, types: SageMakerResourceType[], namePrefix: string): string[] {
  return types.map((type) => sageMakerArnPattern(scope, type, namePrefix));
}
