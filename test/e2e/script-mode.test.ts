import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, ListEndpointsCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as tar from 'tar';
import { REPO_ROOT, startTestAws, type TestAws } from '../helpers/embedded';

/**
 * A real SageMaker script-mode model — model.tar.gz with model.pth and code/inference.py, deploy.json naming the
 * unchanged AWS PyTorch inference image, no aep.local.json entry for it — through the whole pipeline on the
 * embedded AWS, served by the built-in framework-container emulator (numpy from the configured interpreter).
 */

const EXAMPLE = join(REPO_ROOT, 'examples', 'iris-script-mode');
const BUILD = join(EXAMPLE, 'build');
const manifest = () => JSON.parse(readFileSync(join(BUILD, 'manifest.json'), 'utf8')) as { image: string; files: { file: string; uri: string }[] };

let t: TestAws;

beforeAll(async () => {
  execFileSync(process.execPath, [join(EXAMPLE, 'build.mjs')], { stdio: 'ignore' });
  t = await startTestAws();
  for (const { file, uri } of manifest().files) await put(uri.replace(/^s3:\/\/[^/]+\//, ''), join(BUILD, file));
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function put(key: string, path: string) {
  return t.clients.s3.send(new PutObjectCommand({ Bucket: t.aws.names.modelsBucket, Key: key, Body: readFileSync(path) }));
}

async function run(version: string, endpointName: string, more: object = {}) {
  const input = JSON.stringify({ modelDataUrl: `s3://aep-models/examples/iris-script-mode/${version}/model.tar.gz`, endpointName, ...more });
  const { executionArn } = await t.clients.sfn.send(new StartExecutionCommand({ stateMachineArn: t.aws.names.stateMachineArn, name: `${endpointName}-${version}`, input }));
  await t.aws.services.stepFunctions.waitForExecution(executionArn!);
  return t.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
}

const outcome = ({ status, error, cause }: { status?: string; error?: string; cause?: string }) => ({ status, error, cause });

async function classify(endpointName: string) {
  const answer = await t.clients.sagemakerRuntime.send(
    new InvokeEndpointCommand({ EndpointName: endpointName, Body: readFileSync(join(BUILD, 'payloads', 'flowers.json')), ContentType: 'application/json' }),
  );
  return { contentType: answer.ContentType, body: JSON.parse(Buffer.from(answer.Body!).toString()) };
}

test('the example deploys on the unchanged PyTorch DLC image: SUCCEEDED, smoke output equal to the baseline', async () => {
  const described = await run('v1', 'iris');
  expect(outcome(described)).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
  expect(JSON.parse(described.output!)).toMatchObject({ endpointName: 'iris', verdict: 'passed' });

  const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'iris' }));
  const config = await t.clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const model = await t.clients.sagemaker.send(new DescribeModelCommand({ ModelName: config.ProductionVariants![0].ModelName }));
  expect(model.PrimaryContainer?.Image).toBe(manifest().image);
  expect(model.PrimaryContainer?.Image).toMatch(/^763104351884\.dkr\.ecr\.us-east-1\.amazonaws\.com\/pytorch-inference:/);

  const answer = await classify('iris');
  expect(answer).toEqual({ contentType: 'application/json', body: JSON.parse(readFileSync(join(BUILD, 'baselines', 'flowers.json'), 'utf8')) });
});

test('a predict_fn that raises: FAILED with SmokeInvocationFailed, the Python traceback in the cause, v1 still serving', async () => {
  const before = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'iris' }));
  const described = await run('broken', 'iris');
  expect(outcome(described)).toEqual({ status: 'FAILED', error: 'SmokeInvocationFailed', cause: expect.stringContaining('Traceback (most recent call last)') });
  expect(described.cause).toMatch(/code\/inference\.py", line \d+, in predict_fn/);
  expect(described.cause).toMatch(/ValueError: matmul/);

  const after = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'iris' }));
  expect(after).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: before.EndpointConfigName });
  expect((await classify('iris')).body.labels).toEqual(['setosa', 'virginica', 'virginica']);
});

test('model.tar.gz as the SageMaker PyTorch docs lay it out, deploy.json with only the image URI: it deploys and serves', async () => {
  expect(JSON.parse(readFileSync(join(BUILD, 'bare', 'deploy.json'), 'utf8'))).toEqual({ image: manifest().image });
  // The smoke case comes with the execution input (as from CI); the container settings are the image URI alone.
  const smokeTests = JSON.parse(readFileSync(join(BUILD, 'v1', 'deploy.json'), 'utf8')).smokeTests;
  const described = await run('bare', 'iris-bare', { smokeTests });
  expect(outcome(described)).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });

  const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'iris-bare' }));
  const config = await t.clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const model = await t.clients.sagemaker.send(new DescribeModelCommand({ ModelName: config.ProductionVariants![0].ModelName }));
  expect(model.PrimaryContainer).toMatchObject({ Image: manifest().image, Environment: {} });
  expect((await classify('iris-bare')).body.labels).toEqual(['setosa', 'virginica', 'virginica']);
});

test('a model_fn that raises: FAILED with EndpointCreationFailed, the Python error in the cause, nothing left behind', async () => {
  const staging = mkdtempSync(join(tmpdir(), 'aep-no-load-'));
  try {
    mkdirSync(join(staging, 'code'));
    writeFileSync(join(staging, 'code', 'inference.py'), 'def model_fn(model_dir):\n    raise FileNotFoundError("no weights under " + model_dir)\n');
    await tar.c({ gzip: true, cwd: staging, file: join(staging, 'model.tar.gz') }, ['code']);
    await put('examples/iris-script-mode/no-load/model.tar.gz', join(staging, 'model.tar.gz'));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const described = await run('no-load', 'iris-no-load', { image: manifest().image });
  expect(outcome(described)).toEqual({ status: 'FAILED', error: 'EndpointCreationFailed', cause: expect.stringContaining('FileNotFoundError: no weights under') });
  expect(described.cause).toMatch(/exited with code 1/);
  const { Endpoints } = await t.clients.sagemaker.send(new ListEndpointsCommand({ NameContains: 'iris-no-load' }));
  expect(Endpoints).toEqual([]);
});
