import { CreateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../lib/clients';
import type { PipelineEnvironment } from '../lib/environment';
import { TAGS } from '../lib/names';
import type { PipelineState } from '../lib/pipeline-state';
import { createOwnedResource, describeEndpointOrUndefined, pipelineTags } from '../lib/sagemaker-resources';

/**
 * The candidate endpoint: this run's config on a temporary endpoint of its own, so the smoke tests and baseline
 * comparisons run before production sees the model. Tagged like everything the run creates (plus the production
 * endpoint it stands in for); a retry finds its own candidate and carries on.
 */
export async function createCandidate(state: PipelineState, env: PipelineEnvironment): Promise<string> {
  const { names, execution } = state;
  await createOwnedResource({
    kind: 'candidate endpoint',
    name: names.candidate,
    executionArn: execution.id,
    findArn: async () => (await describeEndpointOrUndefined(names.candidate))?.EndpointArn,
    create: async () => {
      const created = await sagemaker().send(
        new CreateEndpointCommand({
          EndpointName: names.candidate,
          EndpointConfigName: names.endpointConfig,
          Tags: [
            ...pipelineTags({ pipelineId: env.pipelineId, executionArn: execution.id, endpointName: names.endpoint }),
            { Key: TAGS.candidateFor, Value: names.endpoint },
          ],
        }),
      );
      return created.EndpointArn ?? '';
    },
  });
  return names.candidate;
}
