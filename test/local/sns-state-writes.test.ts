import { CreateTopicCommand, DeleteTopicCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand, PublishCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../local/dispatcher';
import { createSnsService, type SnsService } from '../../local/sns/service';

// A full disk (an injected ENOSPC) under every SNS request that changes state: the request fails, nothing changed in
// memory or on disk, and the same request succeeds once there is room again.
describe('embedded SNS when its state cannot be written', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-sns-'));
  const dispatcher = new Dispatcher('us-east-1');
  let sns: SnsService;
  let client: SNSClient;

  beforeAll(async () => {
    dispatcher.register((sns = createSnsService({ dataDir, faults: dispatcher.faults })));
    const endpoint = await dispatcher.listen(0);
    client = new SNSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(() => dispatcher.faults.clear());

  const diskFull = () => dispatcher.faults.add({ service: 'disk', operation: 'write', resource: join(dataDir, 'sns'), count: 1, error: { code: 'ENOSPC', message: 'no space left on device' } });
  const refused = { message: expect.stringMatching(/^ENOSPC: no space left on device, write '.*(topics\.json|messages\.jsonl)'$/) };
  const topicsOnDisk = () => (JSON.parse(readFileSync(join(dataDir, 'sns', 'topics.json'), 'utf8')) as { name: string; subscriptions: unknown[] }[]);
  const topicNames = async () => ((await client.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn!.split(':').pop());
  const subscriptions = async (TopicArn: string) => ((await client.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions ?? []).length;

  it('CreateTopic, Subscribe, Publish, Unsubscribe and DeleteTopic change nothing when the write fails, and succeed when retried', async () => {
    diskFull();
    await expect(client.send(new CreateTopicCommand({ Name: 't' }))).rejects.toMatchObject(refused);
    expect(await topicNames()).toEqual([]);
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 't' }));

    diskFull();
    const subscribe = new SubscribeCommand({ TopicArn, Protocol: 'https', Endpoint: 'https://example.com/hook' });
    await expect(client.send(subscribe)).rejects.toMatchObject(refused);
    expect(await subscriptions(TopicArn!)).toBe(0);
    await client.send(new SubscribeCommand({ TopicArn, Protocol: 'https', Endpoint: 'https://example.com/hook', ReturnSubscriptionArn: true }));
    const [subscription] = (await client.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions!;
    expect(topicsOnDisk()[0].subscriptions).toHaveLength(1);

    diskFull();
    await expect(client.send(new PublishCommand({ TopicArn, Message: 'lost' }))).rejects.toMatchObject(refused);
    expect(sns.messages(TopicArn)).toEqual([]);
    await client.send(new PublishCommand({ TopicArn, Message: 'kept' }));
    expect(sns.messages(TopicArn).map((m) => m.message)).toEqual(['kept']);

    const subscriptionArn = (await client.send(new SubscribeCommand({ TopicArn, Protocol: 'https', Endpoint: 'https://example.com/hook', ReturnSubscriptionArn: true }))).SubscriptionArn!;
    expect(subscription.Endpoint).toBe('https://example.com/hook');
    diskFull();
    await expect(client.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }))).rejects.toMatchObject(refused);
    expect(await subscriptions(TopicArn!)).toBe(1);
    await client.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
    expect(await subscriptions(TopicArn!)).toBe(0);

    diskFull();
    await expect(client.send(new DeleteTopicCommand({ TopicArn }))).rejects.toMatchObject(refused);
    expect(await topicNames()).toEqual(['t']);
    expect(topicsOnDisk().map((t) => t.name)).toEqual(['t']);
    await client.send(new DeleteTopicCommand({ TopicArn }));
    expect(await topicNames()).toEqual([]);
    expect(topicsOnDisk()).toEqual([]);
  });
});
