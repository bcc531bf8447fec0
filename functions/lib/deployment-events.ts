import { PublishCommand, type MessageAttributeValue } from '@aws-sdk/client-sns';
import { sns } from './clients';
import type { CaughtError } from './pipeline-state';

/**
 * The deployment-events message: one per execution, on the deployment-events topic, for chat notifications, CD
 * systems and dashboards. The body is JSON; the message attributes repeat the fields subscribers filter on
 * (type, endpointName, verdict, error) so a filter policy needs no body parsing. A retried step may publish twice:
 * consumers deduplicate on `execution.arn`.
 */
export interface DeploymentEvent {
  type: 'DeploymentSucceeded' | 'DeploymentFailed';
  /** The endpoint, or "_invalid" when the input never named a valid one. */
  endpointName: string;
  execution: { arn: string; name: string };
  model?: string;
  config?: string;
  verdict: 'passed' | 'failed';
  error?: CaughtError;
  auditUri: string;
}

/** SNS takes 256 KiB; a cause is cut well before that (the audit record has it whole). */
export const MAX_EVENT_CAUSE_CHARS = 4096;

export async function publishDeploymentEvent(topicArn: string, event: DeploymentEvent): Promise<string | undefined> {
  const body: DeploymentEvent = event.error
    ? { ...event, error: { Error: event.error.Error, Cause: cut(event.error.Cause, MAX_EVENT_CAUSE_CHARS) } }
    : event;
  const response = await sns().send(
    new PublishCommand({
      TopicArn: topicArn,
      // SNS subjects are ASCII, at most 100 characters
      Subject: `aep ${event.type}: ${event.endpointName}`.slice(0, 100),
      Message: JSON.stringify(body),
      MessageAttributes: messageAttributes(event),
    }),
  );
  return response.MessageId;
}

export function messageAttributes(event: DeploymentEvent): Record<string, MessageAttributeValue> {
  const attributes: Record<string, string> = {
    type: event.type,
    endpointName: event.endpointName,
    verdict: event.verdict,
    ...(event.error?.Error ? { error: event.error.Error } : {}),
  };
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
