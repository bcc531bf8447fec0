import { GetTopicAttributesCommand, NotFoundException, type SNSClient } from '@aws-sdk/client-sns';
import { validationError } from '../aws-error';
import type { AsyncInferenceConfig } from './shapes';

/**
 * The rules of CreateEndpointConfig that the input's shape cannot express: the async notification topics must
 * exist (SageMaker publishes to them on every invocation, so a mistyped topic would only show up as lost
 * notifications), looked up through SNS itself as SageMaker does.
 */
export async function checkAsyncInferenceConfig(config: AsyncInferenceConfig | undefined, sns: SNSClient): Promise<void> {
  const notification = config?.OutputConfig.NotificationConfig;
  for (const [member, topicArn] of [
    ['SuccessTopic', notification?.SuccessTopic],
    ['ErrorTopic', notification?.ErrorTopic],
  ] as const) {
    if (topicArn === undefined) continue;
    try {
      await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    } catch (error) {
      if (error instanceof NotFoundException) {
        throw validationError(`The SNS topic ${topicArn} given as AsyncInferenceConfig.OutputConfig.NotificationConfig.${member} does not exist.`);
      }
      throw error;
    }
  }
}
