import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { REPO_ROOT, startTestAws, type TestAws } from '../helpers/embedded';
import { eventually } from '../helpers/scenario';

/**
 * The real pipeline — the ASL file, the functions/<step> handlers, the embedded S3/SageMaker/SNS — deploying the
 * example recommender: v1 creates the endpoint, v2 (uploaded, so started by the S3 trigger) updates it, broken fails
 * the smoke gate and is rolled back to v2, which keeps answering.
 */

const run = promisify(execFile);
const BUILD = join(REPO_ROOT, 'examples', 'recommender', 'build');
const ENDPOINT = 'recommender';

let t: TestAws;

beforeAll(async () => {
  if (!existsSync(join(BUILD, 'manifest.json'))) {
    execFileSync(process.execPath, [join(REPO_ROOT, 'examples', 'recommender', 'build.mjs')], { stdio: 'ignore' });
  }
  t = await startTestAws();
  // Payloads, baselines and every version's artifact at the URIs the example's deploy.json files name.
  const manifest = JSON.parse(readFileSync(join(BUILD, 'manifest.json'), 'utf8')) as { files: { file: string; uri: string }[] };
  for (const { file, uri } of manifest.files) await put(uri.replace(/^s3:\/\/[^/]+\//, ''), join(BUILD, file));
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function put(key: string, path: string) {
  return t.clients.s3.send(new PutObjectCommand({ Bucket: t.aws.names.modelsBucket, Key: key, Body: readFileSync(path) }));
}

async function finish(executionArn: string) {
  await t.aws.services.stepFunctions.waitForExecution(executionArn);
  return t.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
}

/** status, error and cause together, so a failed expectation shows why the run ended as it did. */
const outcome = ({ status, error, cause }: { status?: string; error?: string; cause?: string }) => ({ status, error, cause });
const succeeded = { status: 'SUCCEEDED', error: undefined, cause: undefined };

/** What the endpoint serves now: its config and the model version (the example sets MODEL_VERSION per version). */
async function served() {
  const endpoint = await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
  const config = await t.clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const model = await t.clients.sagemaker.send(new DescribeModelCommand({ ModelName: config.ProductionVariants![0].ModelName }));
  return {
    status: endpoint.EndpointStatus,
    configName: endpoint.EndpointConfigName!,
    version: model.PrimaryContainer!.Environment!.MODEL_VERSION,
    modelDataUrl: model.PrimaryContainer!.ModelDataUrl,
    asyncOutput: config.AsyncInferenceConfig?.OutputConfig?.S3OutputPath,
  };
}

async function startExecution(version: string, name: string) {
  const input = JSON.stringify({ modelDataUrl: `s3://aep-models/examples/recommender/${version}/model.tar.gz`, endpointName: ENDPOINT });
  const { executionArn } = await t.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: t.aws.names.stateMachineArn, name, input }),
  );
  return executionArn!;
}

let v2ConfigName: string;

test('v1 started with StartExecution creates the async endpoint: SUCCEEDED', async () => {
  const described = await finish(await startExecution('v1', 'v1-create'));
  expect(outcome(described)).toEqual(succeeded);
  const result = JSON.parse(described.output!);
  expect(result).toMatchObject({ endpointName: ENDPOINT, action: 'create', verdict: 'passed' });
  expect(result.cases).toHaveLength(3);

  const now = await served();
  expect(now).toMatchObject({ status: 'InService', version: 'v1', configName: result.endpointConfigName });
  expect(now.asyncOutput).toMatch(/^s3:\/\/aep-artifacts\//);

  const { events } = await t.clients.sfn.send(new GetExecutionHistoryCommand({ executionArn: described.executionArn, maxResults: 1000 }));
  const entered = new Set(events!.map((e) => e.stateEnteredEventDetails?.name));
  for (const step of ['ValidateInput', 'AcquireLock', 'CreateModel', 'DeployEndpoint', 'SmokeTests', 'CompareToBaseline', 'Finalize']) {
    expect(entered).toContain(step);
  }
  expect(events!.filter((e) => e.type === 'LambdaFunctionFailed')).toEqual([]);
});

test('v2 uploaded under models/ starts the pipeline by itself (once) and updates the endpoint: SUCCEEDED', async () => {
  const key = 'models/recommender/v2/model.tar.gz';
  // deploy.json first: the trigger's input is only the artifact, and ValidateInput reads the deploy.json next to it.
  await put('models/recommender/v2/deploy.json', join(BUILD, 'v2', 'deploy.json'));
  await put(key, join(BUILD, 'v2', 'model.tar.gz'));

  // The trigger names the run after the key's folders and the event: one new execution for this upload.
  const started = await t.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: t.aws.names.stateMachineArn }));
  const triggered = started.executions!.filter((e) => e.name!.startsWith('recommender-v2-'));
  expect(triggered).toHaveLength(1);
  const described = await finish(triggered[0].executionArn!);
  expect(JSON.parse(described.input!)).toEqual({ modelDataUrl: `s3://aep-models/${key}` });
  expect(outcome(described)).toEqual(succeeded);
  const result = JSON.parse(described.output!);
  expect(result).toMatchObject({ endpointName: ENDPOINT, action: 'update' });

  const { executions } = await t.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: t.aws.names.stateMachineArn }));
  expect(executions!.map((e) => e.name).sort()).toEqual([triggered[0].name, 'v1-create'].sort());

  const now = await served();
  expect(now).toMatchObject({ status: 'InService', version: 'v2', configName: result.endpointConfigName });
  expect(now.modelDataUrl).toBe(`s3://aep-models/${key}`);
  v2ConfigName = now.configName;
});

test('broken fails the smoke gate: FAILED with BaselineMismatch, the endpoint back on v2 and answering', async () => {
  const described = await finish(await startExecution('broken', 'broken-gate'));
  expect(outcome(described)).toEqual({ status: 'FAILED', error: 'BaselineMismatch', cause: expect.stringMatching(/overlap|baseline/i) });

  const now = await served();
  expect(now).toMatchObject({ status: 'InService', version: 'v2', configName: v2ConfigName });

  // Real-time and asynchronous invocations are answered by v2.
  const body = readFileSync(join(BUILD, 'payloads', 'sneakers-top5.json'));
  const answer = await t.clients.sagemakerRuntime.send(
    new InvokeEndpointCommand({ EndpointName: ENDPOINT, Body: body, ContentType: 'application/json' }),
  );
  expect(JSON.parse(Buffer.from(answer.Body!).toString()).recommendations).toHaveLength(5);

  const input = 'examples/recommender/payloads/sneakers-top5.json';
  const queued = await t.clients.sagemakerRuntime.send(
    new InvokeEndpointAsyncCommand({ EndpointName: ENDPOINT, InputLocation: `s3://aep-models/${input}`, ContentType: 'application/json' }),
  );
  const [, bucket, outputKey] = /^s3:\/\/([^/]+)\/(.+)$/.exec(queued.OutputLocation!)!;
  const output = await eventually(async () => {
    await t.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: outputKey }));
    const object = await t.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: outputKey }));
    return JSON.parse(await object.Body!.transformToString());
  });
  expect(output.recommendations).toHaveLength(5);
});

test('the AWS CLI starts and describes executions (a bad artifact fails fast in ValidateInput)', async () => {
  const cli = async (...args: string[]) => JSON.parse((await run('aws', ['stepfunctions', ...args, '--output', 'json'], { env: t.cliEnv })).stdout);
  const started = await cli(
    'start-execution',
    '--state-machine-arn', t.aws.names.stateMachineArn,
    '--name', 'cli-missing-artifact',
    '--input', JSON.stringify({ modelDataUrl: 's3://aep-models/models/nowhere/model.tar.gz', image: 'local/recommender:latest' }),
  );
  expect(started.executionArn).toMatch(/:execution:aep-deploy-async-endpoint:cli-missing-artifact$/);
  await t.aws.services.stepFunctions.waitForExecution(started.executionArn);
  const described = await cli('describe-execution', '--execution-arn', started.executionArn);
  expect(described).toMatchObject({ status: 'FAILED', error: 'ArtifactNotFound', name: 'cli-missing-artifact' });
  expect(described.cause).toContain('s3://aep-models/models/nowhere/model.tar.gz');
  const history = await cli('get-execution-history', '--execution-arn', started.executionArn, '--reverse-order', '--max-items', '1');
  expect(history.events[0]).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: { error: 'ArtifactNotFound' } });
  // Nothing was deployed: the endpoint still serves v2.
  expect((await served()).configName).toBe(v2ConfigName);
});

test('shutting the embedded AWS down stops every model process', async () => {
  const pids = t.aws.services.sagemaker.hosting.instances(ENDPOINT).map((i) => i.process.pid!);
  expect(pids.length).toBeGreaterThan(0);
  expect(pids.every(alive)).toBe(true);
  await t.stop();
  expect(pids.filter(alive)).toEqual([]);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

