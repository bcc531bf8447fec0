import { PublishCommand, type MessageAttributeValue } from '@aws-sdk/client-sns';
import { sns } from './clients';
import type { CaughtError } from './pipeline-state';
import type { ReleaseFacts } from './release';

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
  /** How the model was released (strategy, candidate, promotion, auto-rollback, exposure). */
  release?: EventRelease;
}

export type EventRelease = Pick<ReleaseFacts, 'strategy' | 'candidateEndpointName' | 'adopted' | 'alarmsWatched' | 'exposure'> & {
  promotion?: { startedAt: string; endedAt?: string; routing: string };
  autoRollback?: boolean;
};

/** The release facts an event carries: the audit record has the rest (deployment config, verification results). */
export function eventRelease(facts: ReleaseFacts): EventRelease {
  return {
    ...(facts.strategy ? { strategy: facts.strategy } : {}),
    ...(facts.candidateEndpointName ? { candidateEndpointName: facts.candidateEndpointName } : {}),
    ...(facts.adopted ? { adopted: true } : {}),
    ...(facts.promotion
      ? { promotion: { startedAt: facts.promotion.startedAt, ...(facts.promotion.endedAt ? { endedAt: facts.promotion.endedAt } : {}), routing: facts.promotion.routing } }
      : {}),
    alarmsWatched: facts.alarmsWatched,
    ...(facts.autoRollback ? { autoRollback: true } : {}),
    exposure: facts.exposure,
  };
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
    ...(event.release?.strategy ? { strategy: event.release.strategy } : {}),
  };
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
