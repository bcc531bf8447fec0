import type { RequestContext } from '../../service';

/** Context values of a request: `aws:RequestTag/aep:pipeline`, `s3:prefix`, `iam:PassedToService`, … */
export type ContextValues = Record<string, string | string[]>;

/** One authorization AWS makes for an API call: an action on a resource, with the request's context keys. */
export interface AuthorizationCheck {
  action: string;
  resource: string;
  context?: ContextValues;
}

/** What the embedded services know that an authorization needs (a resource's tags for aws:ResourceTag). */
export interface AuthorizationLookups {
  /** The tags of a SageMaker resource by ARN, or undefined when it does not exist. */
  sageMakerTags(arn: string): ReadonlyArray<{ Key: string; Value: string }> | undefined;
  /** The ARN of the KMS key that encrypts a topic, if any. */
  topicKey(topicArn: string): string | undefined;
  /** The ARN of a registered scalable target, or undefined when it is not registered (yet). */
  scalableTargetArn(target: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string }): string | undefined;
}

/**
 * The authorizations of one API call of a service, per the Service Authorization Reference: its actions, the
 * resource ARNs they are checked on, and the condition keys the request supplies.
 */
export type CallAuthorization = (
  operation: string,
  input: Record<string, unknown>,
  ctx: RequestContext,
  lookups: AuthorizationLookups,
) => AuthorizationCheck[];

/** `aws:RequestTag/<key>` and `aws:TagKeys` of the tags a request sets. */
export function requestTagContext(tags: Array<{ Key: string; Value: string }> | undefined): ContextValues {
  if (!tags || tags.length === 0) return {};
  const context: ContextValues = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const tag of tags) context[`aws:RequestTag/${tag.Key}`] = tag.Value;
  return context;
}

/** `aws:ResourceTag/<key>` of a resource's current tags. */
export function resourceTagContext(tags: ReadonlyArray<{ Key: string; Value: string }> | undefined): ContextValues {
  return Object.fromEntries((tags ?? []).map((t) => [`aws:ResourceTag/${t.Key}`, t.Value]));
}
