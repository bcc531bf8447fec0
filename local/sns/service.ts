import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error';
import type { FaultInjector } from '../faults';
import { queryList, queryMap, queryService, requiredParam, type QueryParams } from '../protocols/query';
import type { XmlElement } from '../protocols/xml';
import type { RequestContext, ServiceModule } from '../service';
import { deliverToLambdas, type LambdaDelivery } from './lambda-delivery';
import { publishedMessage } from './publish';
import { SnsStore, type PublishedMessage, type Topic } from './store';

export type { PublishedMessage } from './store';

const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** Loopback admin route: the published messages as JSON, `?topicArn=` to filter. */
export const SNS_MESSAGES_PATH = '/_aep/sns/messages';

export interface SnsService extends ServiceModule {
  /** Messages published so far (to one topic, if given), oldest first. */
  messages(topicArn?: string): PublishedMessage[];
  /**
   * Publish without HTTP, for services that publish on a user's behalf in-process (SageMaker's async notifications):
   * validated, kept and delivered exactly as the Publish operation. Fault rules are the caller's to consult.
   */
  publish(input: { topicArn: string; message: string; subject?: string }): Promise<PublishedMessage>;
  /** Calls `listener` with every message published from now on (in-process observers); returns the unsubscribe. */
  onPublished(listener: (message: PublishedMessage) => void): () => void;
}

const invalidParameter = (what: string) => new AwsError('InvalidParameter', `Invalid parameter: ${what}`, 400);
const notFound = () => new AwsError('NotFound', 'Topic does not exist', 404);

/** Attributes SetTopicAttributes may change. */
const SETTABLE_ATTRIBUTES = [
  'DisplayName', 'Policy', 'DeliveryPolicy', 'KmsMasterKeyId', 'SignatureVersion', 'TracingConfig',
  'ContentBasedDeduplication', 'ArchivePolicy', 'DataProtectionPolicy', 'FifoThroughputScope',
];
/** Protocols that need the endpoint's confirmation before SNS delivers (Subscribe answers "pending confirmation"). */
const CONFIRMED_PROTOCOLS = ['sqs', 'lambda', 'firehose', 'application', 'sms'];
const PROTOCOLS = [...CONFIRMED_PROTOCOLS, 'http', 'https', 'email', 'email-json'];

/**
 * The embedded SNS over the Query protocol: topics, Publish (kept; delivered to Lambda subscriptions), subscriptions.
 * Messages are readable in-process (`messages()`) and at `GET /_aep/sns/messages?topicArn=…`.
 */
export function createSnsService(options: { dataDir: string; lambdas?: LambdaDelivery; faults?: FaultInjector }): SnsService {
  const store = new SnsStore(options.dataDir, options.faults);

  function topic(arn: string): Topic {
    if (!/^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(arn)) throw invalidParameter('TopicArn');
    const found = store.topics.get(arn);
    if (!found) throw notFound();
    return found;
  }

  const topicArn = (ctx: RequestContext, name: string) => `arn:aws:sns:${ctx.region}:${ctx.accountId}:${name}`;

  const operations = {
    async CreateTopic(params: QueryParams, ctx: RequestContext): Promise<XmlElement> {
      const name = requiredParam(params, 'Name');
      const attributes = queryMap(params, 'Attributes.entry');
      const fifo = attributes.FifoTopic === 'true';
      const validName = /^[A-Za-z0-9_-]{1,256}$/.test(fifo ? name.replace(/\.fifo$/, '') : name) && name.length <= 256;
      if (!validName || (fifo && !name.endsWith('.fifo')) || (!fifo && name.endsWith('.fifo'))) throw invalidParameter('Topic Name');
      const arn = topicArn(ctx, name);
      const existing = store.topics.get(arn);
      if (existing) {
        // CreateTopic is idempotent, unless it would change the topic.
        const differs = Object.entries(attributes).some(([key, value]) => (existing.attributes[key] ?? '') !== value);
        if (differs) throw invalidParameter('Attributes Reason: Topic already exists with different attributes');
        return { TopicArn: arn };
      }
      const tags = Object.fromEntries(queryList(params, 'Tags.member').map((t) => [t.Key ?? '', t.Value ?? '']));
      await store.commitTopics(
        () => store.topics.set(arn, { arn, name, attributes, tags, subscriptions: [] }),
        () => store.topics.delete(arn),
      );
      return { TopicArn: arn };
    },

    async DeleteTopic(params: QueryParams): Promise<undefined> {
      const arn = requiredParam(params, 'TopicArn');
      // Deleting a topic that does not exist succeeds, as in SNS.
      const deleted = store.topics.get(arn);
      if (deleted) await store.commitTopics(() => store.topics.delete(arn), () => store.topics.set(arn, deleted));
      return undefined;
    },

    ListTopics(params: QueryParams): XmlElement {
      const arns = [...store.topics.keys()].sort();
      const start = Number(params.NextToken ?? 0);
      if (!Number.isInteger(start) || start < 0) throw invalidParameter('NextToken');
      const page = arns.slice(start, start + 100);
      return {
        Topics: { member: page.map((arn) => ({ TopicArn: arn })) },
        NextToken: start + 100 < arns.length ? String(start + 100) : undefined,
      };
    },

    GetTopicAttributes(params: QueryParams, ctx: RequestContext): XmlElement {
      const t = topic(requiredParam(params, 'TopicArn'));
      const attributes: Record<string, string> = {
        TopicArn: t.arn,
        Owner: ctx.accountId,
        DisplayName: '',
        SubscriptionsConfirmed: String(t.subscriptions.filter((s) => !s.pendingConfirmation).length),
        SubscriptionsPending: String(t.subscriptions.filter((s) => s.pendingConfirmation).length),
        SubscriptionsDeleted: '0',
        Policy: JSON.stringify(defaultPolicy(t.arn, ctx.accountId)),
        EffectiveDeliveryPolicy: JSON.stringify({ http: { defaultHealthyRetryPolicy: { numRetries: 3 } } }),
        ...t.attributes,
      };
      return { Attributes: { entry: Object.entries(attributes).map(([key, value]) => ({ key, value })) } };
    },

    async SetTopicAttributes(params: QueryParams): Promise<undefined> {
      const t = topic(requiredParam(params, 'TopicArn'));
      const name = requiredParam(params, 'AttributeName');
      if (!SETTABLE_ATTRIBUTES.includes(name)) throw invalidParameter('AttributeName');
      const had = Object.hasOwn(t.attributes, name);
      const previous = t.attributes[name];
      await store.commitTopics(
        () => (t.attributes[name] = params.AttributeValue ?? ''),
        () => (had ? (t.attributes[name] = previous) : delete t.attributes[name]),
      );
      return undefined;
    },

    async Publish(params: QueryParams): Promise<XmlElement> {
      const message = await publish(params);
      return { MessageId: message.messageId, SequenceNumber: message.sequenceNumber };
    },

    async Subscribe(params: QueryParams): Promise<XmlElement> {
      const t = topic(requiredParam(params, 'TopicArn'));
      const protocol = requiredParam(params, 'Protocol');
      if (!PROTOCOLS.includes(protocol)) throw invalidParameter(`Amazon SNS does not support this protocol string: ${protocol}`);
      const endpoint = params.Endpoint ?? '';
      let subscription = t.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
      if (!subscription) {
        subscription = {
          subscriptionArn: `${t.arn}:${randomUUID()}`,
          protocol,
          endpoint,
          pendingConfirmation: !CONFIRMED_PROTOCOLS.includes(protocol),
          attributes: queryMap(params, 'Attributes.entry'),
        };
        const added = subscription;
        await store.commitTopics(
          () => t.subscriptions.push(added),
          () => (t.subscriptions = t.subscriptions.filter((s) => s !== added)),
        );
      }
      const showArn = !subscription.pendingConfirmation || params.ReturnSubscriptionArn === 'true';
      return { SubscriptionArn: showArn ? subscription.subscriptionArn : 'pending confirmation' };
    },

    ListSubscriptionsByTopic(params: QueryParams, ctx: RequestContext): XmlElement {
      const t = topic(requiredParam(params, 'TopicArn'));
      return {
        Subscriptions: {
          member: t.subscriptions.map((s) => ({
            TopicArn: t.arn,
            Protocol: s.protocol,
            SubscriptionArn: s.pendingConfirmation ? 'PendingConfirmation' : s.subscriptionArn,
            Owner: ctx.accountId,
            Endpoint: s.endpoint,
          })),
        },
      };
    },

    async Unsubscribe(params: QueryParams): Promise<undefined> {
      const arn = requiredParam(params, 'SubscriptionArn');
      const t = [...store.topics.values()].find((candidate) => candidate.subscriptions.some((s) => s.subscriptionArn === arn));
      if (!t) throw new AwsError('NotFound', 'Subscription does not exist', 404);
      const removed = t.subscriptions.find((s) => s.subscriptionArn === arn)!;
      await store.commitTopics(
        () => (t.subscriptions = t.subscriptions.filter((s) => s !== removed)),
        () => t.subscriptions.push(removed),
      );
      return undefined;
    },
  };

  const listeners = new Set<(message: PublishedMessage) => void>();

  async function publish(params: QueryParams): Promise<PublishedMessage> {
    const arn = params.TopicArn ?? params.TargetArn;
    if (arn === undefined) {
      throw params.PhoneNumber !== undefined ? invalidParameter('PhoneNumber Reason: SMS is not supported by the embedded SNS') : invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
    }
    const t = topic(arn);
    const message = publishedMessage(params, t, sequenceNumber);
    await store.addMessage(message);
    if (options.lambdas) deliverToLambdas(message, t.subscriptions, options.lambdas);
    for (const listener of listeners) {
      try {
        listener(structuredClone(message));
      } catch (error) {
        // An observer's failure is not the publisher's: the message is kept and delivered.
        console.error(`aep local sns: a listener failed on message ${message.messageId}:`, error);
      }
    }
    return message;
  }

  let sequence = BigInt(store.messageCount);
  function sequenceNumber(): string {
    sequence += 1n;
    return sequence.toString().padStart(20, '0');
  }

  const module = queryService({
    name: 'sns',
    signingName: 'sns',
    xmlns: SNS_XMLNS,
    operations,
    routes: [
      {
        matches: (_req, ctx) => ctx.url.pathname === SNS_MESSAGES_PATH,
        handle(req, res, ctx) {
          const status = req.method === 'GET' ? 200 : 405;
          const body =
            status === 200
              ? { messages: store.messages(ctx.url.searchParams.get('topicArn') ?? undefined) }
              : { __type: 'MethodNotAllowed', message: `${req.method} is not allowed on ${SNS_MESSAGES_PATH}` };
          const text = JSON.stringify(body);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        },
      },
    ],
  });
  return {
    ...module,
    messages: (arn) => store.messages(arn),
    publish: ({ topicArn: arn, message, subject }) => publish({ TopicArn: arn, Message: message, ...(subject === undefined ? {} : { Subject: subject }) }),
    onPublished(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function defaultPolicy(topicArn: string, accountId: string) {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  };
}
