import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../local/dispatcher';
import { createEventBridgeService } from '../../local/eventbridge/service';

// A full disk (an injected ENOSPC) under every EventBridge request that changes a rule: the request fails, the rule
// is as before in memory and on disk, and the same request succeeds once there is room again.
describe('embedded EventBridge when its rules cannot be written', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-events-'));
  const dispatcher = new Dispatcher('us-east-1');
  let endpoint: string;
  /** One EventBridge call on the wire (awsJson1_1), as the AWS CLI sends it; rejects with the error's type and message. */
  const call = async (operation: string, input: object): Promise<Record<string, unknown>> => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSEvents.${operation}`,
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20261202/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(input),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw Object.assign(new Error(String(body.message ?? body.Message)), { name: String(body.__type).split('#').pop() });
    return body;
  };
  const pattern = JSON.stringify({ source: ['aws.sagemaker'] });
  const target = { Id: 't1', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f' };

  beforeAll(async () => {
    dispatcher.register(createEventBridgeService({ dataDir, region: 'us-east-1', invokeFunction: async () => undefined, faults: dispatcher.faults }));
    endpoint = await dispatcher.listen(0);
  });
  afterAll(async () => {
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(() => dispatcher.faults.clear());

  const diskFull = () => dispatcher.faults.add({ service: 'disk', operation: 'write', resource: join(dataDir, 'events'), count: 1, error: { code: 'ENOSPC', message: 'no space left on device' } });
  const refused = { name: 'InternalFailure', message: expect.stringMatching(/^ENOSPC: no space left on device, write '.*rules\.json'$/) };
  const onDisk = () => JSON.parse(readFileSync(join(dataDir, 'events', 'rules.json'), 'utf8')) as { Name: string; targets: { Id: string }[] }[];
  const targets = async () => ((await call('ListTargetsByRule', { Rule: 'r' })).Targets as { Id: string }[]).map((t) => t.Id);

  it('PutRule, PutTargets, RemoveTargets and DeleteRule change nothing when the write fails, and succeed when retried', async () => {
    diskFull();
    await expect(call('PutRule', { Name: 'r', EventPattern: pattern })).rejects.toMatchObject(refused);
    await expect(call('DescribeRule', { Name: 'r' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await call('PutRule', { Name: 'r', EventPattern: pattern });

    diskFull();
    await expect(call('PutTargets', { Rule: 'r', Targets: [target] })).rejects.toMatchObject(refused);
    expect(await targets()).toEqual([]);
    await call('PutTargets', { Rule: 'r', Targets: [target] });
    expect(onDisk()).toMatchObject([{ Name: 'r', targets: [{ Id: 't1' }] }]);

    diskFull();
    await expect(call('RemoveTargets', { Rule: 'r', Ids: ['t1'] })).rejects.toMatchObject(refused);
    expect(await targets()).toEqual(['t1']);
    await call('RemoveTargets', { Rule: 'r', Ids: ['t1'] });

    diskFull();
    await expect(call('DeleteRule', { Name: 'r' })).rejects.toMatchObject(refused);
    expect((await call('DescribeRule', { Name: 'r' })).Name).toBe('r');
    expect(onDisk().map((r) => r.Name)).toEqual(['r']);
    await call('DeleteRule', { Name: 'r' });
    await expect(call('DescribeRule', { Name: 'r' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(onDisk()).toEqual([]);
  });
});
