import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DeleteEndpointCommand, DeleteEndpointConfigCommand, DeleteModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { peakRssGrowth, writeGzipBomb } from '../helpers/gzip-bomb';
import { echoDeployment, eventually, expectEnding, runDeployment, sharedEchoAws } from '../helpers/scenario';

/**
 * A gzip bomb uploaded as a model.tar.gz (issue 9, defect 3): ~1 MiB that inflates to 1 GiB, against a cap lowered to
 * 16 MiB. The endpoint fails naming the cap (SageMaker's FailureReason, the pipeline's EndpointCreationFailed), the
 * run rolls back to nothing, no partly extracted files stay on disk, and the embedded AWS's memory stays bounded.
 */

const MiB = 1024 * 1024;
const BOMB = 's3://aep-models/fixtures/bomb/model.tar.gz';
const OVER_CAP = /Model data s3:\/\/aep-models\/fixtures\/bomb\/model\.tar\.gz expands beyond the extraction cap: more than 16 MiB \(hosting\.maxModelBytes\)/;

const testAws = sharedEchoAws({ modelCaps: { maxModelBytes: 16 * MiB } });

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aep-bomb-'));
  try {
    writeGzipBomb(join(dir, 'model.tar.gz'), 1024 * MiB);
    const body = readFileSync(join(dir, 'model.tar.gz'));
    expect(body.length).toBeLessThan(2 * MiB);
    await testAws().clients.s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: 'fixtures/bomb/model.tar.gz', Body: body }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** What the embedded SageMaker keeps of extracted models: nothing of a bomb, not even a partial directory. */
function extractedModels(): string[] {
  const root = join(testAws().dataDir, 'hosting', 'models');
  return existsSync(root) ? readdirSync(root).flatMap((model) => readdirSync(join(root, model)).map((dir) => `${model}/${dir}`)) : [];
}

test('CreateEndpoint on the bomb: Failed with a FailureReason naming the cap, memory bounded, nothing left on disk', async () => {
  const sagemaker = testAws().clients.sagemaker;
  await sagemaker.send(new CreateModelCommand({ ModelName: 'bomb', PrimaryContainer: { Image: 'local/echo:latest', ModelDataUrl: BOMB } }));
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'bomb',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'bomb', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    }),
  );
  let failureReason: string | undefined;
  const growth = await peakRssGrowth(async () => {
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: 'bomb', EndpointConfigName: 'bomb' }));
    const failed = await eventually(async () => {
      const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'bomb' }));
      if (endpoint.EndpointStatus === 'Creating') throw new Error('still Creating');
      return endpoint;
    }, 60_000);
    expect(failed.EndpointStatus).toBe('Failed');
    failureReason = failed.FailureReason;
  });
  expect(failureReason).toMatch(OVER_CAP);
  // Before the cap, extracting this archive took ~1 GiB of memory (and wrote 1 GiB to disk); bounded, it is a few MiB.
  // Generous: the test process also runs the rest of the embedded AWS.
  expect(growth / MiB).toBeLessThan(256);
  expect(extractedModels()).toEqual([]);

  await sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'bomb' }));
  await sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: 'bomb' }));
  await sagemaker.send(new DeleteModelCommand({ ModelName: 'bomb' }));
}, 90_000);

test('the pipeline deploying the bomb: FAILED with EndpointCreationFailed naming the cap, rolled back to nothing', async () => {
  const t = testAws();
  const run = await runDeployment(t, 'bomb-1', { ...echoDeployment('bomb-pipeline'), modelDataUrl: BOMB });
  await expectEnding(t, run, { endpointName: 'bomb-pipeline', status: 'FAILED', error: 'EndpointCreationFailed', cause: OVER_CAP });
  // Nothing was kept of the bomb's extraction.
  expect(extractedModels()).toEqual([]);
}, 90_000);
