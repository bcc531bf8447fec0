import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Service } from '../../local/s3/service';
import { credentials, REPO_ROOT, startSageMaker, waitForEndpoint, type SageMakerHarness } from './sagemaker.harness';

// The recommender deployed from a real model.tar.gz in the embedded S3: download, safe extraction, SM_MODEL_DIR.
describe('embedded SageMaker with the embedded S3', () => {
  let h: SageMakerHarness;
  let s3: S3Client;
  let build: string;

  beforeAll(async () => {
    build = mkdtempSync(join(tmpdir(), 'aep-build-'));
    execFileSync(process.execPath, [join(REPO_ROOT, 'examples/recommender/build.mjs'), '--out', build]);
    h = await startSageMaker({ before: (_url, dataDir) => [createS3Service({ dataDir })] });
    s3 = new S3Client({ endpoint: h.url, region: 'us-east-1', credentials, forcePathStyle: true });
    for (const bucket of ['aep-models', 'aep-artifacts']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: 'recommender/v1/model.tar.gz', Body: readFileSync(join(build, 'v1/model.tar.gz')) }));
    await s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: 'payloads/sneakers.json', Body: readFileSync(join(build, 'payloads/sneakers-top5.json')) }));
  });
  afterAll(async () => {
    s3.destroy();
    await h.close();
    rmSync(build, { recursive: true, force: true });
  });

  it('hosts a model from S3 and answers real-time and asynchronous invocations with v1’s baseline', async () => {
    await h.client.send(
      new CreateModelCommand({
        ModelName: 'rec-v1',
        PrimaryContainer: { Image: 'local/recommender:latest', ModelDataUrl: 's3://aep-models/recommender/v1/model.tar.gz' },
      }),
    );
    await h.client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'rec-v1',
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'rec-v1', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
        AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://aep-artifacts/async-outputs/rec/', S3FailurePath: 's3://aep-artifacts/async-outputs/rec/' } },
      }),
    );
    await h.client.send(new CreateEndpointCommand({ EndpointName: 'rec', EndpointConfigName: 'rec-v1' }));
    const described = await waitForEndpoint(h.client, 'rec', ['InService', 'Failed']);
    expect(described.FailureReason).toBeUndefined();

    const baseline = readFileSync(join(build, 'baselines/sneakers-top5.json'), 'utf8');
    const sync = await h.runtimeClient.send(
      new InvokeEndpointCommand({ EndpointName: 'rec', Body: readFileSync(join(build, 'payloads/sneakers-top5.json')), ContentType: 'application/json' }),
    );
    expect(JSON.parse(Buffer.from(sync.Body!).toString())).toEqual(JSON.parse(baseline));

    const queued = await h.runtimeClient.send(
      new InvokeEndpointAsyncCommand({ EndpointName: 'rec', InputLocation: 's3://aep-models/payloads/sneakers.json', ContentType: 'application/json' }),
    );
    expect(queued.OutputLocation).toBe(`s3://aep-artifacts/async-outputs/rec/${queued.InferenceId}.out`);
    const key = `async-outputs/rec/${queued.InferenceId}.out`;
    const deadline = Date.now() + 10_000;
    let output: string | undefined;
    while (!output && Date.now() < deadline) {
      output = await s3
        .send(new GetObjectCommand({ Bucket: 'aep-artifacts', Key: key }))
        .then((o) => o.Body!.transformToString())
        .catch(() => undefined);
      if (!output) await new Promise((r) => setTimeout(r, 50));
    }
    expect(JSON.parse(output ?? 'null')).toEqual(JSON.parse(baseline));
  });

  it('fails the endpoint with a FailureReason when the model data is missing', async () => {
    await h.client.send(new CreateModelCommand({ ModelName: 'rec-gone', PrimaryContainer: { Image: 'local/recommender:latest', ModelDataUrl: 's3://aep-models/nothing/model.tar.gz' } }));
    await h.client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'rec-gone',
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'rec-gone', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
      }),
    );
    await h.client.send(new CreateEndpointCommand({ EndpointName: 'rec-gone', EndpointConfigName: 'rec-gone' }));
    const failed = await waitForEndpoint(h.client, 'rec-gone', ['InService', 'Failed']);
    expect(failed.EndpointStatus).toBe('Failed');
    expect(failed.FailureReason).toMatch(/Failed to download model data from s3:\/\/aep-models\/nothing\/model\.tar\.gz: NoSuchKey/);
  });
});
