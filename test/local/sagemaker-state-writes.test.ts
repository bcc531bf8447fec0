import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeModelCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECHO_IMAGE, pidAlive, startSageMaker, survivors, waitForEndpoint, type SageMakerHarness } from './sagemaker.harness';

// A full disk (ENOSPC, injected by a `disk` fault rule) under every SageMaker request that changes state: the request
// fails, nothing is acted on, memory and disk agree, and the same request succeeds once the disk has room again.
describe('embedded SageMaker when its state cannot be written', () => {
  let h: SageMakerHarness;
  beforeAll(async () => (h = await startSageMaker()));
  afterAll(async () => h.close());
  afterEach(() => h.faults.clear());

  const diskFull = () =>
    h.faults.add({ service: 'disk', operation: 'write', resource: join(h.dataDir, 'sagemaker'), count: 1, error: { code: 'ENOSPC', message: 'no space left on device' } });
  const refusedForDisk = { name: 'InternalFailure', message: expect.stringMatching(/^ENOSPC: no space left on device, write '.*state\.json'$/) };
  const onDisk = (name: string) =>
    (JSON.parse(readFileSync(join(h.dataDir, 'sagemaker', 'state.json'), 'utf8')) as { endpoints: { EndpointName: string; EndpointStatus: string; EndpointConfigName: string }[] }).endpoints.find(
      (e) => e.EndpointName === name,
    );
  const describe = (name: string) => h.client.send(new DescribeEndpointCommand({ EndpointName: name }));

  async function echoConfig(name: string, instances = 1): Promise<void> {
    await h.client.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: ECHO_IMAGE } }));
    await h.client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InitialInstanceCount: instances, InstanceType: 'ml.m5.large' }],
        AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://aep-artifacts/async-outputs/x/' } },
      }),
    );
  }

  async function inService(name: string): Promise<void> {
    await echoConfig(name);
    await h.client.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    await waitForEndpoint(h.client, name, ['InService'], 30_000);
  }

  it('DeleteEndpoint: refused while the disk is full, the endpoint keeps serving; the retry deletes it and stops its processes', async () => {
    await inService('del');
    const pids = h.sagemaker.hosting.instances('del').map((i) => i.process.pid!);
    diskFull();
    await expect(h.client.send(new DeleteEndpointCommand({ EndpointName: 'del' }))).rejects.toMatchObject(refusedForDisk);
    expect((await describe('del')).EndpointStatus).toBe('InService');
    expect(onDisk('del')?.EndpointStatus).toBe('InService');
    expect(pids.every(pidAlive)).toBe(true);
    const answer = await h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'del', Body: Buffer.from('still here') }));
    expect(Buffer.from(answer.Body!).toString()).toBe('still here');

    await h.client.send(new DeleteEndpointCommand({ EndpointName: 'del' }));
    await h.sagemaker.settled();
    await expect(describe('del')).rejects.toThrow(/Could not find endpoint/);
    expect(onDisk('del')).toBeUndefined();
    expect(await survivors(pids)).toEqual([]);
  });

  it('CreateEndpoint: refused while the disk is full, no endpoint and no process; the retry creates it', async () => {
    await echoConfig('create');
    diskFull();
    await expect(h.client.send(new CreateEndpointCommand({ EndpointName: 'create', EndpointConfigName: 'create' }))).rejects.toMatchObject(refusedForDisk);
    await expect(describe('create')).rejects.toThrow(/Could not find endpoint/);
    expect(h.sagemaker.hosting.instances('create')).toHaveLength(0);
    expect(onDisk('create')).toBeUndefined();

    await h.client.send(new CreateEndpointCommand({ EndpointName: 'create', EndpointConfigName: 'create' }));
    await waitForEndpoint(h.client, 'create', ['InService'], 30_000);
    expect(onDisk('create')?.EndpointStatus).toBe('InService');
  });

  it('UpdateEndpoint: refused while the disk is full, the endpoint stays InService on its config with nothing pending; the retry updates it', async () => {
    await inService('upd');
    await echoConfig('upd-v2');
    const before = h.sagemaker.hosting.instances('upd').map((i) => i.process.pid!);
    diskFull();
    await expect(h.client.send(new UpdateEndpointCommand({ EndpointName: 'upd', EndpointConfigName: 'upd-v2' }))).rejects.toMatchObject(refusedForDisk);
    const refused = await describe('upd');
    expect(refused).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'upd' });
    expect(refused.PendingDeploymentSummary).toBeUndefined();
    expect(h.sagemaker.endpoint('upd')?.pending).toBeUndefined();
    expect(onDisk('upd')).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'upd' });
    expect(h.sagemaker.hosting.instances('upd').map((i) => i.process.pid)).toEqual(before);

    await h.client.send(new UpdateEndpointCommand({ EndpointName: 'upd', EndpointConfigName: 'upd-v2' }));
    await h.sagemaker.settled();
    expect(await describe('upd')).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'upd-v2' });
    expect(onDisk('upd')).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'upd-v2' });
  });

  it('UpdateEndpointWeightsAndCapacities: refused while the disk is full, the desired count is unchanged; the retry scales', async () => {
    await inService('cap');
    diskFull();
    const scaleTo2 = new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'cap', DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 2 }] });
    await expect(h.client.send(scaleTo2)).rejects.toMatchObject(refusedForDisk);
    const refused = await describe('cap');
    expect(refused.EndpointStatus).toBe('InService');
    expect(refused.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 1, DesiredInstanceCount: 1 });

    await h.client.send(scaleTo2);
    await h.sagemaker.settled();
    expect((await describe('cap')).ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 2, DesiredInstanceCount: 2 });
  });

  it('CreateModel: refused while the disk is full, no model; the retry creates it', async () => {
    diskFull();
    await expect(h.client.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: ECHO_IMAGE } }))).rejects.toMatchObject(refusedForDisk);
    await expect(h.client.send(new DescribeModelCommand({ ModelName: 'm' }))).rejects.toThrow(/Could not find model/);
    await h.client.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: ECHO_IMAGE } }));
    expect((await h.client.send(new DescribeModelCommand({ ModelName: 'm' }))).ModelName).toBe('m');
  });
});
