import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { endpointStateChangePattern } from '../functions/lib/event-waits';
import type { EventBridgeService } from './eventbridge/service';
import { functionArn, FUNCTION_NAME_PREFIX, PIPELINE_RESOURCE_NAMES, type PipelineResources } from './pipeline-resources';

/**
 * What the stack wires for event-driven waits, made at start-up (both idempotent; the subscriptions through the API):
 * the EventBridge rule on settled endpoint state changes and the async success/error topics' subscriptions, all
 * targeting the AwaitEvent step.
 */
export async function connectEventWaits(url: string, region: string, names: PipelineResources, events: EventBridgeService): Promise<void> {
  const settings = { endpoint: url, region, credentials: { accessKeyId: 'aep-local', secretAccessKey: 'aep-local' } };
  const target = functionArn(region, `${FUNCTION_NAME_PREFIX}await-event`);
  const sns = new SNSClient(settings);
  try {
    const rule = PIPELINE_RESOURCE_NAMES.endpointStateChangeRule;
    events.putRule(rule, JSON.stringify(endpointStateChangePattern('')), [{ Id: 'await-event', Arn: target }]);
    for (const topic of [names.asyncSuccessTopicArn, names.asyncErrorTopicArn]) {
      await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'lambda', Endpoint: target }));
    }
  } finally {
    sns.destroy();
  }
}
