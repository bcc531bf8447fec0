import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { createSnsService } from '../../local/sns/service';
import { credentials, ECHO_IMAGE, startSageMaker, survivors, waitForEndpoint, type SageMakerHarness } from './sagemaker.harness';

const ARN = 'arn:aws:sagemaker:us-east-1:000000000000';

describe('embedded SageMaker control plane', () => {
  let h: SageMakerHarness;
  beforeAll(async () => {
    h = await startSageMaker({ before: (_url, dataDir) => [createSnsService({ dataDir })] });
    // The configs below name these topics, and SageMaker refuses topics that do not exist.
    const sns = new SNSClient({ endpoint: h.url, region: 'us-east-1', credentials });
    for (const Name of ['ok', 'err']) await sns.send(new CreateTopicCommand({ Name }));
    sns.destroy();
  });
  afterAll(async () => h.close());

  /** A model + endpoint config for the echo container; `env` reaches the container (AEP_FAULT). */
  async function echoConfig(name: string, env: Record<string, string> = {}, instances = 1): Promise<void> {
    await h.client.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: ECHO_IMAGE, Environment: env }, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/sm' }));
    await h.client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InitialInstanceCount: instances, InstanceType: 'ml.m5.large' }],
        AsyncInferenceConfig: {
          ClientConfig: { MaxConcurrentInvocationsPerInstance: 2 },
          OutputConfig: {
            S3OutputPath: 's3://aep-artifacts/async-outputs/x/',
            S3FailurePath: 's3://aep-artifacts/async-outputs/x/',
            NotificationConfig: { SuccessTopic: 'arn:aws:sns:us-east-1:000000000000:ok', ErrorTopic: 'arn:aws:sns:us-east-1:000000000000:err', IncludeInferenceResponseIn: ['SUCCESS_NOTIFICATION_TOPIC'] },
          },
        },
      }),
    );
  }

  const pidsOf = (endpoint: string) => h.sagemaker.hosting.instances(endpoint).map((i) => i.process.pid!);

  it('round-trips models with SageMaker’s ARNs and error messages', async () => {
    const out = await h.client.send(new CreateModelCommand({ ModelName: 'Echo-Model', PrimaryContainer: { Image: ECHO_IMAGE, ModelDataUrl: 's3://b/m.tar.gz' }, Tags: [{ Key: 'team', Value: 'ml' }] }));
    expect(out.ModelArn).toBe(`${ARN}:model/echo-model`);
    const described = await h.client.send(new DescribeModelCommand({ ModelName: 'Echo-Model' }));
    expect(described.PrimaryContainer?.ModelDataUrl).toBe('s3://b/m.tar.gz');
    expect(described.CreationTime).toBeInstanceOf(Date);
    await expect(h.client.send(new CreateModelCommand({ ModelName: 'Echo-Model', PrimaryContainer: { Image: ECHO_IMAGE } }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `Cannot create already existing model "${ARN}:model/echo-model".`,
    });
    await expect(h.client.send(new CreateModelCommand({ ModelName: 'bad_name', PrimaryContainer: { Image: ECHO_IMAGE } }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/^1 validation error detected: Value 'bad_name' at 'modelName' failed to satisfy constraint: Member must satisfy regular expression pattern/),
    });
    expect((await h.client.send(new ListTagsCommand({ ResourceArn: out.ModelArn }))).Tags).toEqual([{ Key: 'team', Value: 'ml' }]);
    const listed = await h.client.send(new ListModelsCommand({ NameContains: 'echo-m' }));
    expect(listed.Models?.map((m) => m.ModelName)).toEqual(['Echo-Model']);
    await h.client.send(new DeleteModelCommand({ ModelName: 'Echo-Model' }));
    await expect(h.client.send(new DescribeModelCommand({ ModelName: 'Echo-Model' }))).rejects.toThrow(`Could not find model "${ARN}:model/echo-model".`);
  });

  it('refuses an endpoint config whose model does not exist, and an endpoint whose config does not exist', async () => {
    await expect(
      h.client.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'orphan', ProductionVariants: [{ VariantName: 'v', ModelName: 'ghost', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] })),
    ).rejects.toThrow(`Could not find model "${ARN}:model/ghost".`);
    await expect(h.client.send(new CreateEndpointCommand({ EndpointName: 'e', EndpointConfigName: 'ghost' }))).rejects.toThrow(
      `Could not find endpoint configuration "${ARN}:endpoint-config/ghost".`,
    );
  });

  it('creates an endpoint: Creating → InService, with its AsyncInferenceConfig and instance counts; tags; list filters', async () => {
    await echoConfig('ep-a', {}, 2);
    const { EndpointArn } = await h.client.send(new CreateEndpointCommand({ EndpointName: 'ep-a', EndpointConfigName: 'ep-a', Tags: [{ Key: 'aep:endpoint', Value: 'ep-a' }] }));
    expect(EndpointArn).toBe(`${ARN}:endpoint/ep-a`);
    const first = await h.client.send(new DescribeEndpointCommand({ EndpointName: 'ep-a' }));
    expect(first.EndpointStatus).toBe('Creating');
    await expect(h.client.send(new CreateEndpointCommand({ EndpointName: 'ep-a', EndpointConfigName: 'ep-a' }))).rejects.toThrow(
      `Cannot create already existing endpoint "${ARN}:endpoint/ep-a".`,
    );
    await expect(h.client.send(new UpdateEndpointCommand({ EndpointName: 'ep-a', EndpointConfigName: 'ep-a' }))).rejects.toThrow(
      `Cannot update in-progress endpoint "${ARN}:endpoint/ep-a".`,
    );
    const ready = await waitForEndpoint(h.client, 'ep-a', ['InService', 'Failed']);
    expect(ready).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'ep-a',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 2, DesiredInstanceCount: 2 }],
      AsyncInferenceConfig: { ClientConfig: { MaxConcurrentInvocationsPerInstance: 2 }, OutputConfig: { S3OutputPath: 's3://aep-artifacts/async-outputs/x/' } },
    });
    expect(ready.FailureReason).toBeUndefined();
    expect(ready.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(ready.CreationTime!.getTime());

    await h.client.send(new AddTagsCommand({ ResourceArn: EndpointArn, Tags: [{ Key: 'owner', Value: 'me' }] }));
    await h.client.send(new DeleteTagsCommand({ ResourceArn: EndpointArn, TagKeys: ['aep:endpoint'] }));
    expect((await h.client.send(new ListTagsCommand({ ResourceArn: EndpointArn }))).Tags).toEqual([{ Key: 'owner', Value: 'me' }]);

    const inService = await h.client.send(new ListEndpointsCommand({ StatusEquals: 'InService', NameContains: 'EP-' }));
    expect(inService.Endpoints?.map((e) => e.EndpointName)).toContain('ep-a');
    const none = await h.client.send(new ListEndpointsCommand({ StatusEquals: 'Failed', NameContains: 'ep-a' }));
    expect(none.Endpoints).toEqual([]);
    const future = await h.client.send(new ListEndpointsCommand({ CreationTimeAfter: new Date(Date.now() + 60_000) }));
    expect(future.Endpoints).toEqual([]);

    const answer = await h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'ep-a', Body: Buffer.from('{"x":1}'), ContentType: 'application/json' }));
    expect(Buffer.from(answer.Body!).toString()).toBe('{"x":1}');
    expect(answer.InvokedProductionVariant).toBe('AllTraffic');

    const pids = pidsOf('ep-a');
    expect(pids).toHaveLength(2);
    await h.client.send(new DeleteEndpointCommand({ EndpointName: 'ep-a' }));
    expect(await survivors(pids)).toEqual([]);
    await expect(waitForEndpoint(h.client, 'ep-a', [])).rejects.toThrow(`Could not find endpoint "${ARN}:endpoint/ep-a".`);
  });

  it('fails a create with a FailureReason naming the cause', async () => {
    await echoConfig('ep-crash', { AEP_FAULT: 'exit-at-start' });
    await h.client.send(new CreateEndpointCommand({ EndpointName: 'ep-crash', EndpointConfigName: 'ep-crash' }));
    const failed = await waitForEndpoint(h.client, 'ep-crash', ['InService', 'Failed']);
    expect(failed.EndpointStatus).toBe('Failed');
    expect(failed.FailureReason).toMatch(/exited with code 3 .*\n.*exiting at start/s);
    await expect(h.client.send(new UpdateEndpointCommand({ EndpointName: 'ep-crash', EndpointConfigName: 'ep-crash' }))).rejects.toThrow(/Cannot update failed endpoint/);
    await h.client.send(new DeleteEndpointCommand({ EndpointName: 'ep-crash' }));
  });

  it('updates blue/green: a failed update rolls back to the old config, which keeps serving; a good one replaces it', async () => {
    await echoConfig('bg-v1');
    await echoConfig('bg-bad', { AEP_FAULT: 'never-healthy' });
    await echoConfig('bg-v2');
    await h.client.send(new CreateEndpointCommand({ EndpointName: 'bg', EndpointConfigName: 'bg-v1' }));
    await waitForEndpoint(h.client, 'bg', ['InService']);
    const bluePids = pidsOf('bg');

    await h.client.send(new UpdateEndpointCommand({ EndpointName: 'bg', EndpointConfigName: 'bg-bad' }));
    const updating = await h.client.send(new DescribeEndpointCommand({ EndpointName: 'bg' }));
    expect(updating).toMatchObject({ EndpointStatus: 'Updating', EndpointConfigName: 'bg-v1', PendingDeploymentSummary: { EndpointConfigName: 'bg-bad' } });
    await expect(h.client.send(new DeleteEndpointCommand({ EndpointName: 'bg' }))).rejects.toThrow(`Cannot delete in-progress endpoint "${ARN}:endpoint/bg".`);
    // While the new config fails its health check, the old one answers.
    const during = await h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'bg', Body: Buffer.from('still here') }));
    expect(Buffer.from(during.Body!).toString()).toBe('still here');
    const rolledBack = await waitForEndpoint(h.client, 'bg', ['InService']);
    expect(rolledBack.EndpointConfigName).toBe('bg-v1');
    expect(rolledBack.FailureReason).toMatch(/Update to endpoint configuration bg-bad failed and was rolled back: .*ping/);
    expect(pidsOf('bg')).toEqual(bluePids);

    await h.client.send(new UpdateEndpointCommand({ EndpointName: 'bg', EndpointConfigName: 'bg-v2' }));
    const updated = await waitForEndpoint(h.client, 'bg', ['InService']);
    expect(updated.EndpointConfigName).toBe('bg-v2');
    expect(updated.FailureReason).toBeUndefined();
    expect(pidsOf('bg')).not.toEqual(bluePids);
    expect(await survivors(bluePids)).toEqual([]);
    // The endpoint keeps its config snapshot even when the config is deleted, as in SageMaker.
    await h.client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'bg-v2' }));
    await expect(h.client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'bg-v2' }))).rejects.toThrow(/Could not find endpoint configuration/);
    const afterDelete = await h.client.send(new DescribeEndpointCommand({ EndpointName: 'bg' }));
    expect(afterDelete).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'bg-v2', AsyncInferenceConfig: { ClientConfig: { MaxConcurrentInvocationsPerInstance: 2 } } });
  });

  it('RetainAllVariantProperties keeps the instance count; ExcludeRetainedVariantProperties takes the config’s (AWS CLI)', async () => {
    await echoConfig('keep-v1', {}, 2);
    await echoConfig('keep-v2');
    await echoConfig('keep-v3');
    await h.client.send(new CreateEndpointCommand({ EndpointName: 'keep', EndpointConfigName: 'keep-v1' }));
    await waitForEndpoint(h.client, 'keep', ['InService']);
    await h.client.send(new UpdateEndpointCommand({ EndpointName: 'keep', EndpointConfigName: 'keep-v2', RetainAllVariantProperties: true }));
    const retained = await waitForEndpoint(h.client, 'keep', ['InService']);
    expect(retained).toMatchObject({ EndpointConfigName: 'keep-v2', ProductionVariants: [expect.objectContaining({ DesiredInstanceCount: 2, CurrentInstanceCount: 2 })] });

    const cli = (...args: string[]) =>
      promisify(execFile)('aws', ['sagemaker', ...args, '--endpoint-url', h.url, '--region', 'us-east-1', '--output', 'json'], {
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_PAGER: '' },
      });
    const update = ['update-endpoint', '--endpoint-name', 'keep', '--endpoint-config-name', 'keep-v3', '--retain-all-variant-properties'];
    await expect(cli(...update, '--exclude-retained-variant-properties', 'VariantPropertyType=InstanceType')).rejects.toMatchObject({
      stderr: expect.stringContaining('ValidationException'),
    });
    await cli(...update, '--exclude-retained-variant-properties', 'VariantPropertyType=DesiredInstanceCount');
    const fromConfig = await waitForEndpoint(h.client, 'keep', ['InService']);
    expect(fromConfig).toMatchObject({ EndpointConfigName: 'keep-v3', ProductionVariants: [expect.objectContaining({ DesiredInstanceCount: 1, CurrentInstanceCount: 1 })] });
    expect(pidsOf('keep')).toHaveLength(1);
    await h.client.send(new DeleteEndpointCommand({ EndpointName: 'keep' }));
  });

  it('refuses instances beyond the per-type quota with ResourceLimitExceeded', async () => {
    await echoConfig('too-big', {}, 7);
    await expect(h.client.send(new CreateEndpointCommand({ EndpointName: 'too-big', EndpointConfigName: 'too-big' }))).rejects.toMatchObject({
      name: 'ResourceLimitExceeded',
      message: expect.stringContaining("The account-level service limit 'ml.m5.large for endpoint usage' is 6 Instances"),
    });
  });

  it('answers the AWS CLI (describe-endpoint)', async () => {
    await echoConfig('cli');
    await h.client.send(new CreateEndpointCommand({ EndpointName: 'cli', EndpointConfigName: 'cli' }));
    await waitForEndpoint(h.client, 'cli', ['InService']);
    const { stdout } = await promisify(execFile)('aws', ['sagemaker', 'describe-endpoint', '--endpoint-name', 'cli', '--endpoint-url', h.url, '--region', 'us-east-1', '--output', 'json'], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_PAGER: '' },
    });
    const described = JSON.parse(stdout);
    expect(described).toMatchObject({ EndpointName: 'cli', EndpointStatus: 'InService', EndpointArn: `${ARN}:endpoint/cli` });
    expect(described.AsyncInferenceConfig.OutputConfig.NotificationConfig.IncludeInferenceResponseIn).toEqual(['SUCCESS_NOTIFICATION_TOPIC']);
  });
});

describe('embedded SageMaker across restarts', () => {
  it('hosts InService endpoints again after a restart, and close() leaves no process behind', async () => {
    const first = await startSageMaker();
    await first.client.send(new CreateModelCommand({ ModelName: 'keep', PrimaryContainer: { Image: ECHO_IMAGE } }));
    await first.client.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'keep', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'keep', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] }));
    await first.client.send(new CreateEndpointCommand({ EndpointName: 'keep', EndpointConfigName: 'keep' }));
    await waitForEndpoint(first.client, 'keep', ['InService']);
    const before = first.sagemaker.hosting.instances('keep').map((i) => i.process.pid!);
    await first.close({ keepData: true });
    expect(await survivors(before)).toEqual([]);

    const second = await startSageMaker({ dataDir: first.dataDir });
    try {
      expect((await second.client.send(new DescribeEndpointCommand({ EndpointName: 'keep' }))).EndpointStatus).toBe('InService');
      await second.sagemaker.settled();
      const answer = await second.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'keep', Body: Buffer.from('back') }));
      expect(Buffer.from(answer.Body!).toString()).toBe('back');
    } finally {
      const after = second.sagemaker.hosting.instances('keep').map((i) => i.process.pid!);
      await second.close();
      expect(await survivors(after)).toEqual([]);
    }
  });
});
