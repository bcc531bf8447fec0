import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { endpointStateChangePattern } from '../functions/lib/event-waits';
import type { PipelineTopics } from './pipeline-topics';

export interface EventWaitsProps {
  /** The AwaitEvent step: resumes the waiting Tasks. */
  readonly awaitEvent: lambda.IFunction;
  readonly topics: PipelineTopics;
  readonly namePrefix: string;
  readonly pipelineId: string;
  /** Where EventBridge puts an event it could not deliver after its retries. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * What resumes WaitForEndpoint and WaitForOutput: the rule on SageMaker's settled endpoint state changes (endpoints
 * under the name prefix) and the async success/error topics' subscriptions, all invoking AwaitEvent.
 */
export function connectEventWaits(scope: Construct, props: EventWaitsProps): events.Rule {
  const pattern = endpointStateChangePattern(props.namePrefix);
  const rule = new events.Rule(scope, 'EndpointStateChanged', {
    description: `aep ${props.pipelineId}: resumes the deployments waiting for an endpoint when it settles`,
    eventPattern: { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail },
    targets: [
      new targets.LambdaFunction(props.awaitEvent, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(1),
      }),
    ],
  });
  for (const topic of [props.topics.asyncSuccess, props.topics.asyncError]) {
    topic.addSubscription(new subscriptions.LambdaSubscription(props.awaitEvent));
  }
  return rule;
}
