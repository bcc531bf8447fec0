import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { FaultInjector } from '../faults';
import type { SnsService } from '../sns/service';

/** Publishes one async-inference notification to a topic; throws when SNS refuses it. */
export type NotificationPublisher = (topicArn: string, message: string) => Promise<void>;

/**
 * SageMaker's notifications straight into the embedded SNS, as its S3 writes go straight to the store: a loopback
 * SDK Publish per inference cost the one event loop a signed HTTP round trip. Fault rules still apply, named as the
 * dispatcher names them (`sns` / `Publish` / the topic ARN).
 */
export function inProcessPublisher(sns: SnsService, faults?: FaultInjector): NotificationPublisher {
  return async (topicArn, message) => {
    const fault = faults?.check({ service: 'sns', operation: 'Publish', resource: topicArn });
    if (fault && 'error' in fault) throw fault.error;
    if (fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    await sns.publish({ topicArn, message });
  };
}

/** Through an SNS client, for a runtime without an embedded SNS of its own (a test's stand-in topic server). */
export function clientPublisher(sns: () => SNSClient): NotificationPublisher {
  return async (topicArn, message) => {
    await sns().send(new PublishCommand({ TopicArn: topicArn, Message: message }));
  };
}
