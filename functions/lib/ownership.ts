import { AddTagsCommand, type DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { sagemaker } from './clients';
import { EndpointNotOwned } from './errors';
import { TAGS } from './names';
import { resourceTags } from './sagemaker-resources';

/**
 * An endpoint is only touched when it carries this pipeline's tag (aep:pipeline=<pipelineId>): another team's
 * pipeline, or an endpoint made by hand, is never updated behind its owner's back. `"adopt": true` in the execution
 * input takes such an endpoint over: it is tagged, then deployed like our own.
 */
export interface Ownership {
  /** The endpoint carried our tag already. */
  owned: boolean;
  /** It did not, and the input adopts it: the caller tags it before changing anything. */
  adopt: boolean;
}

export async function checkOwnership(args: {
  endpoint: DescribeEndpointCommandOutput;
  pipelineId: string;
  adopt: boolean;
}): Promise<Ownership> {
  const name = args.endpoint.EndpointName ?? '(unnamed)';
  const tags = args.endpoint.EndpointArn ? await resourceTags(args.endpoint.EndpointArn) : {};
  const found = tags[TAGS.pipeline];
  if (found === args.pipelineId) return { owned: true, adopt: false };
  if (args.adopt) return { owned: false, adopt: true };
  throw new EndpointNotOwned(
    `Endpoint ${name} exists but is not this pipeline's: ` +
      (found === undefined ? `it has no ${TAGS.pipeline} tag` : `its ${TAGS.pipeline} tag is "${found}"`) +
      `, not "${args.pipelineId}". Nothing was created or changed. Deploy under another endpointName, or take the ` +
      `endpoint over deliberately by starting again with "adopt": true in the execution input (it is then tagged ` +
      `${TAGS.pipeline}=${args.pipelineId} and deployed).`,
  );
}

/** Tags an adopted endpoint as ours, so that every later step (and IAM's resource-tag conditions) treats it as owned. */
export async function tagAdopted(endpointArn: string, pipelineId: string, endpointName: string): Promise<void> {
  await sagemaker().send(
    new AddTagsCommand({
      ResourceArn: endpointArn,
      Tags: [
        { Key: TAGS.pipeline, Value: pipelineId },
        { Key: TAGS.endpoint, Value: endpointName },
      ],
    }),
  );
}
