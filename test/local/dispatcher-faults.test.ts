import { createAdminService } from '../../local/admin';
import { Dispatcher, LOOPBACK } from '../../local/dispatcher';
import { FaultInjector } from '../../local/faults';
import { jsonService } from '../../local/protocols/aws-json';
import { ADMIN_TOKEN_HEADER } from '../../local/request-guard';

describe('FaultInjector', () => {
  it('fires on exactly the requested share of matching calls', () => {
    const faults = new FaultInjector();
    faults.add({ service: 'sagemaker', operation: 'DescribeEndpoint', rate: 0.25, error: { code: 'ThrottlingException', status: 400 } });
    const outcomes = Array.from({ length: 100 }, () => faults.check({ service: 'sagemaker', operation: 'DescribeEndpoint' }));
    expect(outcomes.filter(Boolean)).toHaveLength(25);
    expect(faults.check({ service: 'sagemaker', operation: 'CreateModel' })).toBeUndefined();
    expect(faults.check({ service: 's3', operation: 'DescribeEndpoint' })).toBeUndefined();
  });

  it('stops after count failures and matches resources by substring', () => {
    const faults = new FaultInjector();
    faults.add({ service: 's3', operation: 'PutObject', resource: 'aep-artifacts/async-outputs/', count: 2, error: { code: 'InternalError', status: 500 } });
    const call = { service: 's3', operation: 'PutObject', resource: 'aep-artifacts/async-outputs/rec/x.out' };
    expect(faults.check({ ...call, resource: 'aep-artifacts/reports/x.json' })).toBeUndefined();
    expect(faults.check(call)).toEqual({ error: expect.objectContaining({ code: 'InternalError', status: 500 }) });
    expect(faults.check(call)).toBeDefined();
    expect(faults.check(call)).toBeUndefined();
  });
});

describe('Dispatcher', () => {
  const dispatcher = new Dispatcher('us-east-1');
  let url: string;
  beforeAll(async () => {
    dispatcher
      .register(createAdminService(dispatcher.faults))
      .register(jsonService({ name: 'sagemaker', targetPrefix: 'SageMaker', jsonVersion: '1.1', operations: { ListModels: () => ({ Models: [] }) } }));
    url = await dispatcher.listen(0);
  });
  afterAll(() => dispatcher.close());
  const admin = () => ({ [ADMIN_TOKEN_HEADER]: dispatcher.guard.adminToken });

  const call = (target: string) =>
    fetch(url, { method: 'POST', headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });

  it('tells listeners each call it serves, named as fault rules name it, until they unsubscribe', async () => {
    const heard: unknown[] = [];
    const stop = dispatcher.onCall((served) => heard.push(served));
    await call('SageMaker.ListModels');
    stop();
    await call('SageMaker.ListModels');
    expect(heard).toEqual([{ service: 'sagemaker', operation: 'ListModels' }]);
  });

  it('listens on loopback only', () => {
    expect(new URL(url).hostname).toBe(LOOPBACK);
  });

  it('serves an operation, and answers an unknown one with an AWS JSON error', async () => {
    expect(await (await call('SageMaker.ListModels')).json()).toEqual({ Models: [] });
    const unknown = await call('SageMaker.Nope');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  it('injects faults set over the admin route, in the service wire shape, until cleared', async () => {
    const add = await fetch(`${url}/_aep/faults`, {
      method: 'POST',
      headers: admin(),
      body: JSON.stringify({ service: 'sagemaker', operation: 'ListModels', error: { code: 'ThrottlingException', message: 'Rate exceeded', status: 400 } }),
    });
    expect(add.status).toBe(200);
    const throttled = await call('SageMaker.ListModels');
    expect(throttled.status).toBe(400);
    expect(throttled.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(await throttled.json()).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    await fetch(`${url}/_aep/faults`, { method: 'DELETE', headers: admin() });
    expect((await call('SageMaker.ListModels')).status).toBe(200);
  });

  it('rejects a malformed fault rule with a validation error', async () => {
    const bad = await fetch(`${url}/_aep/faults`, { method: 'POST', headers: admin(), body: JSON.stringify({ rate: 3 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { __type: string }).__type).toBe('ValidationException');
  });
});
