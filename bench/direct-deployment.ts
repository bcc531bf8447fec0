import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { compareDocuments } from '../functions/compare-to-baseline/compare';
import { parseS3Uri } from '../functions/lib/s3-uri';
import type { BenchAws } from './bench-aws';
import type { ExampleV1 } from './example-fixtures';

/** How often the direct script re-checks the endpoint and the output: a tight loop, so it never waits long. */
export const DIRECT_POLL_MS = 25;

export class DirectDeploymentFailed extends Error {
  override readonly name = 'DirectDeploymentFailed';
}

/**
 * The least a script must do to deploy the same model and smoke-test it the same way, with the SDK and no
 * orchestration: CreateModel, CreateEndpointConfig (async), CreateEndpoint, DescribeEndpoint until InService,
 * upload the payload, InvokeEndpointAsync, HeadObject until the output exists, read it and the baseline, compare.
 * It polls every DIRECT_POLL_MS, as tightly as a script reasonably would (the pipeline waits for events instead).
 * Returns the wall time in ms.
 */
export async function deployDirectly(bench: BenchAws, endpointName: string, example: ExampleV1): Promise<number> {
  const { sagemaker, sagemakerRuntime, s3 } = bench.clients;
  const { artifactsBucket, sagemakerRoleArn } = bench.aws.names;
  const prefix = `bench-direct/${endpointName}`;
  const started = performance.now();

  await sagemaker.send(
    new CreateModelCommand({
      ModelName: endpointName,
      ExecutionRoleArn: sagemakerRoleArn,
      PrimaryContainer: { Image: example.image, ModelDataUrl: example.modelDataUrl, Environment: example.environment },
    }),
  );
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: endpointName,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: endpointName, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      AsyncInferenceConfig: {
        OutputConfig: { S3OutputPath: `s3://${artifactsBucket}/${prefix}/output`, S3FailurePath: `s3://${artifactsBucket}/${prefix}/failure` },
        ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
      },
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: endpointName }));
  for (;;) {
    const { EndpointStatus, FailureReason } = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    if (EndpointStatus === 'InService') break;
    if (EndpointStatus !== 'Creating') throw new DirectDeploymentFailed(`${endpointName} is ${EndpointStatus}: ${FailureReason}`);
    await sleep(DIRECT_POLL_MS);
  }

  const inputKey = `${prefix}/input/${example.smokeCase.name}.json`;
  await s3.send(new PutObjectCommand({ Bucket: artifactsBucket, Key: inputKey, Body: example.payload, ContentType: example.smokeCase.contentType }));
  const { OutputLocation } = await sagemakerRuntime.send(
    new InvokeEndpointAsyncCommand({
      EndpointName: endpointName,
      InputLocation: `s3://${artifactsBucket}/${inputKey}`,
      ContentType: example.smokeCase.contentType,
      Accept: example.smokeCase.accept,
    }),
  );
  const output = parseS3Uri(OutputLocation ?? '');
  if (!output) throw new DirectDeploymentFailed(`InvokeEndpointAsync returned no usable OutputLocation (${OutputLocation})`);
  while (!(await exists(bench, output.bucket, output.key))) await sleep(DIRECT_POLL_MS);

  const outputText = await read(bench, output.bucket, output.key);
  if (!('uri' in example.smokeCase.baseline)) throw new DirectDeploymentFailed('the bench smoke case must have an S3 baseline');
  const baseline = parseS3Uri(example.smokeCase.baseline.uri)!;
  const comparison = compareDocuments(outputText, await read(bench, baseline.bucket, baseline.key), example.smokeCase.compare);
  if (!comparison.passed) throw new DirectDeploymentFailed(`the smoke comparison failed: ${comparison.reason}`);
  return performance.now() - started;
}

async function exists(bench: BenchAws, Bucket: string, Key: string): Promise<boolean> {
  try {
    await bench.clients.s3.send(new HeadObjectCommand({ Bucket, Key }));
    return true;
  } catch (error) {
    if (error instanceof NotFound) return false;
    throw error;
  }
}

async function read(bench: BenchAws, Bucket: string, Key: string): Promise<string> {
  const object = await bench.clients.s3.send(new GetObjectCommand({ Bucket, Key }));
  return object.Body!.transformToString();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
