import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SNSServiceException,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FaultInjector } from '../../local/faults';
import { inProcessPublisher } from '../../local/sagemaker-runtime/notification-publisher';
import { createSnsService, type SnsService } from '../../local/sns/service';
import { awsChildEnv, localClientConfig, startLocalAws, type LocalAws } from '../helpers/local-aws';

let aws: LocalAws;
let service: SnsService;
let sns: SNSClient;

beforeAll(async () => {
  aws = await startLocalAws((dataDir) => [(service = createSnsService({ dataDir }))]);
  sns = new SNSClient(localClientConfig(aws.url));
});
afterAll(async () => {
  sns.destroy();
  await aws.close();
});

/** The SDK names Query errors by their modelled exception (wire code `NotFound` → NotFoundException). */
async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof SNSServiceException)) throw error;
    return { code: error.name, status: error.$metadata.httpStatusCode ?? 0, message: error.message };
  }
  throw new Error('expected the call to fail');
}

test('CreateTopic is idempotent and names the topic with a local ARN; ListTopics and DeleteTopic', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'deployments', Tags: [{ Key: 'team', Value: 'ml' }] }));
  expect(TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:deployments');
  expect((await sns.send(new CreateTopicCommand({ Name: 'deployments' }))).TopicArn).toBe(TopicArn);
  await sns.send(new CreateTopicCommand({ Name: 'short-lived' }));
  const listed = (await sns.send(new ListTopicsCommand({}))).Topics?.map((t) => t.TopicArn);
  expect(listed).toEqual(expect.arrayContaining([TopicArn, 'arn:aws:sns:us-east-1:000000000000:short-lived']));
  await sns.send(new DeleteTopicCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:short-lived' }));
  await sns.send(new DeleteTopicCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:short-lived' }));
  expect((await sns.send(new ListTopicsCommand({}))).Topics?.map((t) => t.TopicArn)).not.toContain('arn:aws:sns:us-east-1:000000000000:short-lived');
  expect(await failure(sns.send(new CreateTopicCommand({ Name: 'bad name!' })))).toMatchObject({ code: 'InvalidParameterException', status: 400 });
});

test('Get/SetTopicAttributes', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'attrs' }));
  await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: 'DisplayName', AttributeValue: 'Deploys' }));
  const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
  expect(Attributes).toMatchObject({ TopicArn, DisplayName: 'Deploys', Owner: '000000000000', SubscriptionsConfirmed: '0' });
  expect(JSON.parse(Attributes?.Policy ?? '{}').Statement[0].Resource).toBe(TopicArn);
  expect(await failure(sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: 'Nope', AttributeValue: 'x' })))).toMatchObject({
    code: 'InvalidParameterException',
  });
});

test('Publish keeps message, subject and attributes, readable in-process and over the admin route', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'events' }));
  const { MessageId } = await sns.send(
    new PublishCommand({
      TopicArn,
      Message: '{"status":"SUCCEEDED"}',
      Subject: 'deploy recommender',
      MessageAttributes: {
        endpoint: { DataType: 'String', StringValue: 'recommender' },
        attempt: { DataType: 'Number', StringValue: '2' },
        blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
      },
    }),
  );
  expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
  const [kept] = service.messages(TopicArn);
  expect(kept).toMatchObject({
    messageId: MessageId,
    topicArn: TopicArn,
    message: '{"status":"SUCCEEDED"}',
    subject: 'deploy recommender',
    messageAttributes: {
      endpoint: { DataType: 'String', StringValue: 'recommender' },
      attempt: { DataType: 'Number', StringValue: '2' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') },
    },
  });
  const response = await fetch(`${aws.url}/_aep/sns/messages?topicArn=${encodeURIComponent(TopicArn!)}`, { headers: aws.adminHeaders });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { messages: unknown }).messages).toEqual([kept]);
  expect(service.messages('arn:aws:sns:us-east-1:000000000000:deployments')).toEqual([]);
});

test('Publish errors: unknown topic NotFound (404), empty message, bad attribute type, too long', async () => {
  const missing = await failure(sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:ghost', Message: 'x' })));
  expect(missing).toMatchObject({ code: 'NotFoundException', status: 404, message: 'Topic does not exist' });
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'strict' }));
  expect(await failure(sns.send(new PublishCommand({ TopicArn, Message: '' })))).toMatchObject({ code: 'InvalidParameterException', message: 'Invalid parameter: Empty message' });
  expect(
    await failure(sns.send(new PublishCommand({ TopicArn, Message: 'x', MessageAttributes: { a: { DataType: 'Float', StringValue: '1' } } }))),
  ).toMatchObject({ code: 'InvalidParameterValueException', status: 400 });
  expect(await failure(sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(256 * 1024 + 1) })))).toMatchObject({
    message: 'Invalid parameter: Message too long',
  });
  expect(service.messages(TopicArn)).toEqual([]);
});

test('Subscribe stores subscriptions (pending for http/email) and lists them', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'subs' }));
  const queue = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:q' }));
  expect(queue.SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
  expect((await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }))).SubscriptionArn).toBe('pending confirmation');
  const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  expect(Subscriptions?.map((s) => [s.Protocol, s.Endpoint, s.SubscriptionArn])).toEqual([
    ['sqs', 'arn:aws:sqs:us-east-1:000000000000:q', queue.SubscriptionArn],
    ['email', 'ops@example.com', 'PendingConfirmation'],
  ]);
  expect(await failure(sns.send(new SubscribeCommand({ TopicArn, Protocol: 'pigeon', Endpoint: 'x' })))).toMatchObject({ code: 'InvalidParameterException' });
});

test('topics and messages survive a restart over the same data dir', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'durable' }));
  await sns.send(new PublishCommand({ TopicArn, Message: 'kept across restarts' }));
  const again = createSnsService({ dataDir: aws.dataDir });
  expect(again.messages(TopicArn).map((m) => m.message)).toEqual(['kept across restarts']);
  const second = await startLocalAws(() => [again], { dataDir: aws.dataDir });
  try {
    const client = new SNSClient(localClientConfig(second.url));
    expect((await client.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.TopicArn).toBe(TopicArn);
    client.destroy();
  } finally {
    await second.close();
  }
});

test('concurrent publishes share writes yet every acknowledged message is kept, in order, across a restart', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'burst' }));
  const sent = Array.from({ length: 40 }, (_, i) => `message ${i}`);
  // Half over the wire, half in-process (as SageMaker's notifications are published), all at once.
  await Promise.all(
    sent.map((message, i) => (i % 2 === 0 ? sns.send(new PublishCommand({ TopicArn, Message: message })) : service.publish({ topicArn: TopicArn!, message }))),
  );
  const reloaded = createSnsService({ dataDir: aws.dataDir }).messages(TopicArn);
  expect(reloaded.map((m) => m.message)).toEqual(service.messages(TopicArn).map((m) => m.message));
  expect(reloaded.map((m) => m.message).sort()).toEqual([...sent].sort());
});

test('in-process publish validates as Publish does and is seen by in-process listeners', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'in-process' }));
  const seen: string[] = [];
  const stop = service.onPublished((m) => seen.push(`${m.topicArn}|${m.message}`));
  try {
    const kept = await service.publish({ topicArn: TopicArn!, message: 'from SageMaker' });
    expect(kept).toMatchObject({ topicArn: TopicArn, message: 'from SageMaker', messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    await expect(service.publish({ topicArn: TopicArn!, message: '' })).rejects.toMatchObject({ code: 'InvalidParameter', message: 'Invalid parameter: Empty message' });
    await expect(service.publish({ topicArn: `${TopicArn}-gone`, message: 'x' })).rejects.toMatchObject({ code: 'NotFound' });
  } finally {
    stop();
  }
  await service.publish({ topicArn: TopicArn!, message: 'after unsubscribing' });
  expect(seen).toEqual([`${TopicArn}|from SageMaker`]);
});

test("SageMaker's in-process publisher obeys the dispatcher's fault rules for sns Publish on the topic", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'faulty' }));
  const faults = new FaultInjector();
  faults.add({ service: 'sns', operation: 'Publish', resource: 'faulty', error: { code: 'InternalError', message: 'injected', status: 500 }, count: 1 });
  const publish = inProcessPublisher(service, faults);
  await expect(publish(TopicArn!, 'first')).rejects.toMatchObject({ code: 'InternalError' });
  await publish(TopicArn!, 'second');
  expect(service.messages(TopicArn).map((m) => m.message)).toEqual(['second']);
});

test('the AWS CLI publishes: aws sns publish returns a MessageId and the message is kept', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'from-cli' }));
  const home = mkdtempSync(join(tmpdir(), 'aep-sns-cli-'));
  try {
    const { stdout } = await promisify(execFile)(
      'aws',
      ['--endpoint-url', aws.url, 'sns', 'publish', '--topic-arn', TopicArn!, '--message', 'hello from the CLI', '--subject', 'cli'],
      { env: awsChildEnv(home) },
    );
    const { MessageId } = JSON.parse(stdout);
    expect(service.messages(TopicArn)).toEqual([expect.objectContaining({ messageId: MessageId, message: 'hello from the CLI', subject: 'cli' })]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}, 30_000);

test('a Query call is named by the Action in its body: fault rules by operation apply to it, and call listeners hear it', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'rule-by-operation' }));
  const heard: unknown[] = [];
  const stop = aws.dispatcher.onCall((call) => heard.push(call));
  aws.dispatcher.faults.add({ service: 'sns', operation: 'Publish', error: { code: 'InternalError', message: 'injected', status: 500 }, });
  try {
    // one attempt: the SDK would retry a 500
    const once = new SNSClient({ ...localClientConfig(aws.url), maxAttempts: 1 });
    await expect(once.send(new PublishCommand({ TopicArn, Message: 'refused' }))).rejects.toMatchObject({ name: 'InternalErrorException', message: 'injected', $metadata: { httpStatusCode: 500 } });
    once.destroy();
    // the rule names Publish only: another operation of the same service is untouched
    await sns.send(new ListTopicsCommand({}));
  } finally {
    stop();
    aws.dispatcher.faults.clear();
  }
  expect(heard).toEqual([
    { service: 'sns', operation: 'Publish' },
    { service: 'sns', operation: 'ListTopics' },
  ]);
  expect(service.messages(TopicArn).map((m) => m.message)).toEqual([]);
});
