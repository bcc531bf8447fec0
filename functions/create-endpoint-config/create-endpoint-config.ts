import {
  CreateEndpointConfigCommand,
  type CreateEndpointConfigCommandInput,
  type ProductionVariantInstanceType,
} from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../lib/clients';
import type { PipelineEnvironment } from '../lib/environment';
import { artifactKeys } from '../lib/names';
import type { CreatedResource, PipelineState } from '../lib/pipeline-state';
import { createOwnedResource, describeEndpointConfigOrUndefined, pipelineTags } from '../lib/sagemaker-resources';
import { toS3Uri } from '../lib/s3-uri';

export const VARIANT_NAME = 'AllTraffic';

/** The request for this run's asynchronous endpoint config; separate so its shape is easy to read and test. */
export function endpointConfigRequest(state: PipelineState, env: PipelineEnvironment): CreateEndpointConfigCommandInput {
  const { names, config, execution } = state;
  const kms = env.kmsKeyArn ? { KmsKeyId: env.kmsKeyArn } : {};
  const asyncOutputPath = toS3Uri({ bucket: env.artifactsBucket, key: artifactKeys.asyncOutputPrefix(names.endpoint) });
  return {
    EndpointConfigName: names.endpointConfig,
    ProductionVariants: [
      {
        VariantName: VARIANT_NAME,
        ModelName: names.model,
        InstanceType: config.instanceType as ProductionVariantInstanceType, // checked by the input schema's pattern
        InitialInstanceCount: config.instanceCount,
        InitialVariantWeight: 1,
      },
    ],
    AsyncInferenceConfig: {
      ClientConfig: { MaxConcurrentInvocationsPerInstance: config.async.maxConcurrentInvocationsPerInstance },
      OutputConfig: {
        // One folder for both: SageMaker writes <id>.out or <id>-error.out, and one listing tells which (CheckOutput).
        S3OutputPath: asyncOutputPath,
        S3FailurePath: asyncOutputPath,
        ...kms,
        NotificationConfig: {
          SuccessTopic: env.asyncSuccessTopicArn,
          ErrorTopic: env.asyncErrorTopicArn,
          IncludeInferenceResponseIn: ['SUCCESS_NOTIFICATION_TOPIC', 'ERROR_NOTIFICATION_TOPIC'],
        },
      },
    },
    ...kms, // the instances' storage volumes
    Tags: pipelineTags({ pipelineId: env.pipelineId, executionArn: execution.id, endpointName: names.endpoint }),
  };
}

export async function createEndpointConfig(state: PipelineState, env: PipelineEnvironment): Promise<CreatedResource> {
  const name = state.names.endpointConfig;
  return createOwnedResource({
    kind: 'endpoint config',
    name,
    executionArn: state.execution.id,
    findArn: async () => (await describeEndpointConfigOrUndefined(name))?.EndpointConfigArn,
    create: async () => {
      const created = await sagemaker().send(new CreateEndpointConfigCommand(endpointConfigRequest(state, env)));
      return created.EndpointConfigArn ?? '';
    },
  });
}
