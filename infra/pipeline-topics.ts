import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The three topics of a pipeline: SageMaker's per-invocation async notifications and one message per deployment. */
export interface PipelineTopics {
  /** SageMaker publishes here when an asynchronous invocation succeeds (AsyncInferenceConfig SuccessTopic). */
  readonly asyncSuccess: sns.ITopic;
  /** SageMaker publishes here when an asynchronous invocation fails (AsyncInferenceConfig ErrorTopic). */
  readonly asyncError: sns.ITopic;
  /** Finalize and RecordFailure publish one message per execution here. */
  readonly deploymentEvents: sns.ITopic;
}

/**
 * A topic encrypted with `key` whose policy denies any publish or subscribe over plain HTTP.
 * The key must be a customer managed key: the AWS managed aws/sns key cannot be granted to other principals.
 */
export function createSecureTopic(scope: Construct, id: string, key: kms.IKey, displayName: string): sns.Topic {
  return new sns.Topic(scope, id, { displayName, masterKey: key, enforceSSL: true });
}

export function createPipelineTopics(
  scope: Construct,
  key: kms.IKey,
  given: Partial<PipelineTopics> = {},
): PipelineTopics {
  return {
    asyncSuccess: given.asyncSuccess ?? createSecureTopic(scope, 'AsyncSuccessTopic', key, 'aep async inference success'),
    asyncError: given.asyncError ?? createSecureTopic(scope, 'AsyncErrorTopic', key, 'aep async inference error'),
    deploymentEvents:
      given.deploymentEvents ?? createSecureTopic(scope, 'DeploymentEventsTopic', key, 'aep deployment events'),
  };
}
