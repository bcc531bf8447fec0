import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListTagsCommand,
  type DescribeEndpointCommandOutput,
  type DescribeEndpointConfigCommandOutput,
  type DescribeModelCommandOutput,
  type Tag,
} from '@aws-sdk/client-sagemaker';
import { sagemaker } from './clients';
import { EndpointCreationFailed, isSageMakerNotFound, isTransientAwsError, PipelineError } from './errors';
import { logger } from './logger';
import { TAGS } from './names';
import type { CreatedResource } from './pipeline-state';

/** SageMaker lookups that several steps share: "describe or undefined", tags, ownership. */

export async function describeModelOrUndefined(name: string): Promise<DescribeModelCommandOutput | undefined> {
  return orUndefined(() => sagemaker().send(new DescribeModelCommand({ ModelName: name })));
}

export async function describeEndpointConfigOrUndefined(
  name: string,
): Promise<DescribeEndpointConfigCommandOutput | undefined> {
  return orUndefined(() => sagemaker().send(new DescribeEndpointConfigCommand({ EndpointConfigName: name })));
}

export async function describeEndpointOrUndefined(name: string): Promise<DescribeEndpointCommandOutput | undefined> {
  return orUndefined(() => sagemaker().send(new DescribeEndpointCommand({ EndpointName: name })));
}

async function orUndefined<T>(describe: () => Promise<T>): Promise<T | undefined> {
  try {
    return await describe();
  } catch (error) {
    if (isSageMakerNotFound(error)) return undefined;
    throw error;
  }
}

/** Every tag of a SageMaker resource, as a map. */
export async function resourceTags(arn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let nextToken: string | undefined;
  do {
    const page = await sagemaker().send(new ListTagsCommand({ ResourceArn: arn, NextToken: nextToken, MaxResults: 100 }));
    for (const tag of page.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
    nextToken = page.NextToken;
  } while (nextToken);
  return tags;
}

/** The tags stamped on everything a run creates: IAM conditions key on the pipeline tag, idempotency on the execution. */
export function pipelineTags(args: { pipelineId: string; executionArn: string; endpointName: string }): Tag[] {
  return [
    { Key: TAGS.pipeline, Value: args.pipelineId },
    { Key: TAGS.execution, Value: args.executionArn },
    { Key: TAGS.endpoint, Value: args.endpointName },
  ];
}

export function isCreatedBy(tags: Record<string, string>, executionArn: string): boolean {
  return tags[TAGS.execution] === executionArn;
}

/** SageMaker answers a Create* for an existing name with ValidationException "Cannot create already existing …". */
export function isSageMakerAlreadyExists(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ResourceInUse' || (error.name === 'ValidationException' && /already exist/i.test(error.message)))
  );
}

/**
 * Creates a model or endpoint config under a derived name, idempotently: if the name exists and its execution tag
 * is ours (a retry or redrive), it carries on with `createdNow: false`. A derived name held by anything else means
 * someone created it by hand — the run stops rather than deploy a resource it did not define.
 */
export async function createOwnedResource(args: {
  kind: 'model' | 'endpoint config' | 'candidate endpoint';
  name: string;
  executionArn: string;
  /** The ARN of the existing resource, or undefined when there is none. */
  findArn: () => Promise<string | undefined>;
  /** Creates it and returns its ARN. */
  create: () => Promise<string>;
}): Promise<CreatedResource> {
  const existing = await args.findArn();
  if (existing) return adopt(args, existing);
  try {
    return { name: args.name, arn: await args.create(), createdNow: true };
  } catch (error) {
    if (isSageMakerAlreadyExists(error)) {
      // a concurrent duplicate of this step won the race; it is ours if the tags say so
      const arn = await args.findArn();
      if (arn) return adopt(args, arn);
    }
    throw asCreationFailure(error, `Creating SageMaker ${args.kind} ${args.name}`);
  }
}

async function adopt(
  args: { kind: string; name: string; executionArn: string },
  arn: string,
): Promise<CreatedResource> {
  const tags = await resourceTags(arn);
  if (!isCreatedBy(tags, args.executionArn)) {
    throw new EndpointCreationFailed(
      `SageMaker ${args.kind} ${args.name} already exists but was not created by this execution ` +
        `(its ${TAGS.execution} tag is ${tags[TAGS.execution] ? `"${tags[TAGS.execution]}"` : 'absent'}). ` +
        `Names ending in the run id are reserved for the pipeline: delete or rename that ${args.kind} and redrive the execution.`,
    );
  }
  logger.info(`${args.kind} already created by this execution; carrying on`, { name: args.name });
  return { name: args.name, arn, createdNow: false };
}

/**
 * Wraps a SageMaker refusal (ValidationException, ResourceLimitExceeded, AccessDenied…) as EndpointCreationFailed with
 * SageMaker's own message; typed pipeline errors and transient errors pass through for step() and the Retry rules.
 */
export function asCreationFailure(error: unknown, doing: string): Error {
  if (error instanceof PipelineError || isTransientAwsError(error) || !(error instanceof Error)) return error as Error;
  return new EndpointCreationFailed(`${doing} failed: ${error.name}: ${error.message}`);
}
