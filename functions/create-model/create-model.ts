import { CreateModelCommand } from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../lib/clients';
import type { PipelineEnvironment } from '../lib/environment';
import type { CreatedResource, PipelineState } from '../lib/pipeline-state';
import { createOwnedResource, describeModelOrUndefined, pipelineTags } from '../lib/sagemaker-resources';

/** The SageMaker model of this run: the artifact in the configured image, run by the pipeline's execution role. */
export async function createModel(state: PipelineState, env: PipelineEnvironment): Promise<CreatedResource> {
  const { names, config, execution } = state;
  return createOwnedResource({
    kind: 'model',
    name: names.model,
    executionArn: execution.id,
    findArn: async () => (await describeModelOrUndefined(names.model))?.ModelArn,
    create: async () => {
      const created = await sagemaker().send(
        new CreateModelCommand({
          ModelName: names.model,
          PrimaryContainer: {
            Image: config.image,
            ModelDataUrl: state.artifact.uri,
            Environment: config.environment,
          },
          ExecutionRoleArn: env.sagemakerRoleArn,
          Tags: pipelineTags({ pipelineId: env.pipelineId, executionArn: execution.id, endpointName: names.endpoint }),
        }),
      );
      return created.ModelArn ?? '';
    },
  });
}
