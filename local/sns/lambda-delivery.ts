import type { FaultInjector } from '../faults';
import type { PublishedMessage, Subscription } from './store';

/** What SNS hands a subscribed Lambda function: one record per message (aws-lambda's SNSEvent). */
export function snsLambdaEvent(message: PublishedMessage, subscription: Subscription) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscription.subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: message.messageId,
          TopicArn: message.topicArn,
          Subject: message.subject ?? null,
          Message: message.message,
          Timestamp: message.timestamp,
          SignatureVersion: '1',
          Signature: 'EMBEDDED',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: Object.fromEntries(
            Object.entries(message.messageAttributes).map(([name, a]) => [name, { Type: a.DataType, Value: a.StringValue ?? a.BinaryValue }]),
          ),
        },
      },
    ],
  };
}

export interface LambdaDelivery {
  invokeFunction: (functionArn: string, event: unknown) => Promise<unknown>;
  faults: FaultInjector;
  log: (line: string) => void;
}

/**
 * Delivers a published message to the topic's Lambda subscriptions, asynchronously as SNS does (Publish has answered
 * by then). A fault rule `{service: "sns", operation: "Deliver"}` (resource: the function ARN) drops a delivery.
 */
export function deliverToLambdas(message: PublishedMessage, subscriptions: Subscription[], delivery: LambdaDelivery): void {
  for (const subscription of subscriptions) {
    if (subscription.protocol !== 'lambda' || subscription.pendingConfirmation) continue;
    const fault = delivery.faults.check({ service: 'sns', operation: 'Deliver', resource: subscription.endpoint });
    if (fault && 'error' in fault) {
      delivery.log(`sns: message ${message.messageId} not delivered to ${subscription.endpoint}: ${fault.error.message}`);
      continue;
    }
    setImmediate(() => {
      delivery
        .invokeFunction(subscription.endpoint, snsLambdaEvent(message, subscription))
        .catch((error: Error) => delivery.log(`sns: ${subscription.endpoint} failed on message ${message.messageId}: ${error.message}`));
    });
  }
}
