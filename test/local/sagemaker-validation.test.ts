import { CreateEndpointConfigCommand, CreateModelCommand, type ProductionVariant } from '@aws-sdk/client-sagemaker';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { instanceTypes } from '../../functions/lib/instance-types';
import { createSnsService } from '../../local/sns/service';
import { credentials, ECHO_IMAGE, startSageMaker, type SageMakerHarness } from './sagemaker.harness';

/** SageMaker's own validation of the control-plane calls, worded as AWS words it (SDK-level; boto3 in conformance). */
describe('embedded SageMaker validation', () => {
  let h: SageMakerHarness;
  let topicArn: string;

  beforeAll(async () => {
    h = await startSageMaker({ before: (_url, dataDir) => [createSnsService({ dataDir })] });
    const sns = new SNSClient({ endpoint: h.url, region: 'us-east-1', credentials });
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'async-ok' }))).TopicArn!;
    sns.destroy();
    await h.client.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: ECHO_IMAGE } }));
  });
  afterAll(() => h.close());

  const variant = (extra: Partial<ProductionVariant> = {}): ProductionVariant => ({
    VariantName: 'AllTraffic',
    ModelName: 'm',
    InitialInstanceCount: 1,
    InstanceType: 'ml.m5.large',
    ...extra,
  });
  const createConfig = (name: string, extra: Record<string, unknown> = {}, variants = [variant()]) =>
    h.client.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: variants, ...extra }));

  it('refuses an instance type outside ProductionVariantInstanceType, listing the valid values', async () => {
    const error = await createConfig('c1', {}, [variant({ InstanceType: 'ml.m5.larg' as ProductionVariant['InstanceType'] })]).catch((e) => e);
    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(
      /^1 validation error detected: Value 'ml\.m5\.larg' at 'productionVariants\.1\.member\.instanceType' failed to satisfy constraint: Member must satisfy enum value set: \[/,
    );
    for (const type of ['ml.m5.large', 'ml.g5.xlarge', 'ml.inf2.xlarge']) expect(error.message).toContain(type);
    expect(instanceTypes().length).toBeGreaterThan(200);
  });

  it('lists every violated constraint at once: ranges, lengths, patterns, required members', async () => {
    const error = await createConfig(
      'bad_name',
      {
        AsyncInferenceConfig: {
          ClientConfig: { MaxConcurrentInvocationsPerInstance: 1001 },
          OutputConfig: { S3OutputPath: 'ftp://bucket/out', KmsKeyId: 'key with spaces' },
        },
      },
      [variant({ InitialInstanceCount: 0 }), variant({ VariantName: undefined as unknown as string })],
    ).catch((e) => e);
    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(/^6 validation errors detected: /);
    for (const part of [
      "Value 'bad_name' at 'endpointConfigName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
      "Value '0' at 'productionVariants.1.member.initialInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
      "Value null at 'productionVariants.2.member.variantName' failed to satisfy constraint: Member must not be null",
      "Value '1001' at 'asyncInferenceConfig.clientConfig.maxConcurrentInvocationsPerInstance' failed to satisfy constraint: Member must have value less than or equal to 1000",
      "Value 'ftp://bucket/out' at 'asyncInferenceConfig.outputConfig.s3OutputPath' failed to satisfy constraint: Member must satisfy regular expression pattern: (https|s3):\\/\\/([^/]+)\\/?(.*)",
      "Value 'key with spaces' at 'asyncInferenceConfig.outputConfig.kmsKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern",
    ]) {
      expect(error.message).toContain(part);
    }
  });

  it('refuses async notification topics that do not exist, and accepts ones that do', async () => {
    const missing = 'arn:aws:sns:us-east-1:000000000000:no-such-topic';
    const output = (SuccessTopic: string) => ({ AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://b/out', NotificationConfig: { SuccessTopic, ErrorTopic: topicArn } } } });
    await expect(createConfig('c2', output(missing))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining(missing) });
    await expect(createConfig('c2', output(topicArn))).resolves.toMatchObject({ EndpointConfigArn: expect.stringContaining('endpoint-config/c2') });
  });

  it('checks model names with their own pattern and the execution role ARN shape', async () => {
    await expect(h.client.send(new CreateModelCommand({ ModelName: 'a--b', PrimaryContainer: { Image: ECHO_IMAGE } }))).resolves.toBeDefined();
    const error = await h.client
      .send(new CreateModelCommand({ ModelName: '-a', ExecutionRoleArn: 'arn:aws:iam::123:user/x-long-enough', PrimaryContainer: { Image: ECHO_IMAGE } }))
      .catch((e) => e);
    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(/^2 validation errors detected: Value '-a' at 'modelName'.*Value 'arn:aws:iam::123:user\/x-long-enough' at 'executionRoleArn'/);
  });
});
