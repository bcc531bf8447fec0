import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startTestAws, type TestAws } from '../helpers/embedded';
import { eventually } from '../helpers/scenario';

/**
 * A model container gets what SageMaker gives it to reach AWS — region, AWS_ENDPOINT_URL, the execution role's
 * credentials — so a model that reads S3 at inference works with no settings; its calls are that role's, evaluated
 * against the SageMaker execution role's policy of the stack.
 */

let t: TestAws;
beforeAll(async () => {
  t = await startTestAws({ images: { 'local/s3-reader:latest': { command: ['node', 'test/local/fixtures/s3-reader-model.mjs'] } } });
}, 120_000);
afterAll(() => t?.stop());

test('a model reads S3 as its execution role: what the role may read it gets, the rest is AccessDenied naming the role', async () => {
  const { s3, sagemaker, sagemakerRuntime } = t.clients;
  await s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: 'models/reader/table.json', Body: '{"rows":3}' }));
  await sagemaker.send(new CreateModelCommand({ ModelName: 'reader', ExecutionRoleArn: t.aws.names.sagemakerRoleArn, PrimaryContainer: { Image: 'local/s3-reader:latest' } }));
  await sagemaker.send(new CreateEndpointConfigCommand({
    EndpointConfigName: 'reader',
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'reader', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
  }));
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: 'reader', EndpointConfigName: 'reader' }));
  await eventually(async () => {
    const { EndpointStatus, FailureReason } = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'reader' }));
    expect({ EndpointStatus, FailureReason }).toEqual({ EndpointStatus: 'InService', FailureReason: undefined });
  }, 60_000);

  const invoke = async (bucket: string, key: string) => {
    const { Body } = await sagemakerRuntime.send(
      new InvokeEndpointCommand({ EndpointName: 'reader', ContentType: 'application/json', Body: JSON.stringify({ bucket, key }) }),
    );
    return JSON.parse(Buffer.from(Body!).toString());
  };
  expect(await invoke('aep-models', 'models/reader/table.json')).toEqual({ text: '{"rows":3}', region: t.aws.region });
  expect(await invoke('aep-artifacts', 'audit/reader/x.json')).toEqual({
    error: 'AccessDenied',
    message:
      'User: arn:aws:sts::000000000000:assumed-role/aep-sagemaker-execution/SageMaker is not authorized to perform: s3:GetObject on resource: ' +
      '"arn:aws:s3:::aep-artifacts/audit/reader/x.json" because no identity-based policy allows the s3:GetObject action',
  });
});
