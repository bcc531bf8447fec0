import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS3Service, type S3Service } from '../../local/s3/service';
import { eventually } from '../helpers/scenario';
import { credentials, ECHO_IMAGE, pidAlive, startSageMaker, TEST_CONFIG, waitForEndpoint, type SageMakerHarness } from './sagemaker.harness';

// SageMaker replaces an instance that fails. Here a model process killed with SIGKILL is started again (after a
// backoff, health-checked by /ping), the endpoint stays InService with CurrentInstanceCount down meanwhile, and
// asynchronous requests that arrive while it is down are served once it is back.
describe('embedded SageMaker replaces a dead instance', () => {
  let h: SageMakerHarness;
  let s3Service: S3Service;
  let s3: S3Client;

  beforeAll(async () => {
    // A 2 s first backoff: the test sees the instance down, and sends its request then.
    h = await startSageMaker({
      config: { ...TEST_CONFIG, hosting: { ...TEST_CONFIG.hosting, healthCheckTimeoutSeconds: 30, restartBackoffSeconds: 2, maxRestarts: 2 } },
      before: (_url, dataDir) => [(s3Service = createS3Service({ dataDir }))],
    });
    await s3Service.ensureBucket('aep-io');
    s3 = new S3Client({ endpoint: h.url, region: 'us-east-1', credentials, forcePathStyle: true });
  });
  afterAll(async () => {
    s3.destroy();
    await h.close();
  });

  async function endpoint(name: string, environment: Record<string, string> = {}): Promise<void> {
    await h.client.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: ECHO_IMAGE, Environment: environment } }));
    await h.client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
        AsyncInferenceConfig: { OutputConfig: { S3OutputPath: `s3://aep-io/${name}/out/` } },
      }),
    );
    await h.client.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    await waitForEndpoint(h.client, name, ['InService'], 60_000);
  }

  const variant = async (name: string) => {
    const out = await h.client.send(new DescribeEndpointCommand({ EndpointName: name }));
    return { status: out.EndpointStatus, current: out.ProductionVariants?.[0].CurrentInstanceCount, desired: out.ProductionVariants?.[0].DesiredInstanceCount };
  };
  const containerLog = (name: string) =>
    readdirSync(join(h.dataDir, 'hosting', 'logs', name))
      .map((file) => readFileSync(join(h.dataDir, 'hosting', 'logs', name, file), 'utf8'))
      .join('');
  const until = (probe: () => Promise<boolean> | boolean, timeoutMs = 60_000) =>
    eventually(async () => {
      if (!(await probe())) throw new Error('not yet');
    }, timeoutMs);

  it('kill -9 of the model process: count drops, the instance is restarted and health-checked, queued async requests are served', async () => {
    await endpoint('phoenix');
    const [instance] = h.sagemaker.hosting.instances('phoenix');
    const killed = instance.process.pid!;
    process.kill(killed, 'SIGKILL');

    await until(async () => (await variant('phoenix')).current === 0);
    expect(await variant('phoenix')).toEqual({ status: 'InService', current: 0, desired: 1 });
    await s3.send(new PutObjectCommand({ Bucket: 'aep-io', Key: 'phoenix/in.json', Body: '{"while":"down"}' }));
    const queued = await h.runtimeClient.send(new InvokeEndpointAsyncCommand({ EndpointName: 'phoenix', InputLocation: 's3://aep-io/phoenix/in.json' }));

    await until(async () => (await variant('phoenix')).current === 1);
    expect(await variant('phoenix')).toEqual({ status: 'InService', current: 1, desired: 1 });
    const replacement = h.sagemaker.hosting.instances('phoenix')[0].process;
    expect(replacement.pid).not.toBe(killed);
    expect(pidAlive(killed)).toBe(false);

    const key = new URL(queued.OutputLocation!).pathname.slice(1);
    const output = await eventually(() => s3.send(new GetObjectCommand({ Bucket: 'aep-io', Key: key })), 60_000);
    expect(await output.Body!.transformToString()).toBe('{"while":"down"}');
    const answer = await h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'phoenix', Body: Buffer.from('back') }));
    expect(Buffer.from(answer.Body!).toString()).toBe('back');

    const log = containerLog('phoenix');
    expect(log).toContain(`model server (pid ${killed}) exited with signal SIGKILL; replacing the instance.`);
    expect(log).toMatch(/Replaced: restart 1 of at most 2 passed the ping health check/);
  }, 180_000);

  it('a crash-looping model is restarted at most maxRestarts times, then stays down with a log line saying so', async () => {
    await endpoint('looping', { AEP_FAULT: 'exit-after:1000' });
    await until(() => containerLog('looping').includes('Not restarted again'), 120_000);
    const log = containerLog('looping');
    // the first start and two restarts crashed; nothing is started after the third crash
    expect(log.match(/echo: crashing/g)).toHaveLength(3);
    expect(log.match(/exited with code 4; replacing the instance/g)).toHaveLength(3);
    expect(log).toContain('Not restarted again: 2 restarts without staying up (hosting.maxRestarts).');
    expect(await variant('looping')).toEqual({ status: 'InService', current: 0, desired: 1 });
    expect(h.sagemaker.hosting.instances('looping').every((i) => !i.process.running)).toBe(true);
  }, 180_000);
});
