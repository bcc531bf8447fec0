import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { REPO_ROOT, startTestAws, type TestAws } from '../helpers/embedded';
import {
  echoDeployment,
  eventually,
  executionHistory,
  expectEnding,
  expectServing,
  inventory,
  readAuditRecord,
  runDeployment,
  runResources,
  startDeployment,
  uploadEchoFixtures,
} from '../helpers/scenario';

/**
 * What a failure leaves behind: the broken example model gated and rolled back with v1 still answering,
 * onFailure "keep", and the embedded AWS restarted in the middle of an execution.
 */

const BUILD = join(REPO_ROOT, 'examples', 'recommender', 'build');

describe('on one embedded AWS', () => {
  let t: TestAws;

  beforeAll(async () => {
    if (!existsSync(join(BUILD, 'manifest.json'))) {
      execFileSync(process.execPath, [join(REPO_ROOT, 'examples', 'recommender', 'build.mjs')], { stdio: 'ignore' });
    }
    t = await startTestAws({ healthCheckTimeoutSeconds: 10 });
    await uploadEchoFixtures(t);
    const manifest = JSON.parse(readFileSync(join(BUILD, 'manifest.json'), 'utf8')) as { files: { file: string; uri: string }[] };
    for (const { file, uri } of manifest.files) {
      await t.clients.s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: uri.replace('s3://aep-models/', ''), Body: readFileSync(join(BUILD, file)) }));
    }
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  test('the broken recommender fails the gate (BaselineMismatch), is rolled back, and v1 keeps serving and answering', async () => {
    const recommender = (version: string) => ({ modelDataUrl: `s3://aep-models/examples/recommender/${version}/model.tar.gz`, endpointName: 'r-gate' });
    const payload = readFileSync(join(BUILD, 'payloads', 'sneakers-top5.json'), 'utf8');
    const v1 = await runDeployment(t, 'gate-v1', recommender('v1'));
    const v1Resources = runResources('r-gate', v1.executionArn);
    const onlyV1 = { models: [v1Resources.model], endpointConfigs: [v1Resources.endpointConfig], endpoints: ['r-gate'] };
    await expectEnding(t, v1, { endpointName: 'r-gate', status: 'SUCCEEDED', left: onlyV1, serving: v1Resources.endpointConfig, payload });

    const broken = await runDeployment(t, 'gate-broken', recommender('broken'));
    await expectEnding(t, broken, { endpointName: 'r-gate', status: 'FAILED', error: 'BaselineMismatch', cause: /overlap|baseline/i, left: onlyV1 });
    const answer = JSON.parse((await expectServing(t, 'r-gate', v1Resources.endpointConfig, payload)).toString()) as { recommendations: unknown[] };
    expect(answer.recommendations).toHaveLength(5);
    // The audit record says what the rollback did.
    const audit = await readAuditRecord(t, 'r-gate', broken.name);
    expect(audit.rollback).toMatchObject({ complete: true });
    expect(audit.previousConfigName).toBe(v1Resources.endpointConfig);
  }, 90_000);

  test('onFailure "keep": the failed run’s model, config and endpoint are kept for debugging', async () => {
    const run = await runDeployment(t, 'keep', echoDeployment('f-keep', { fault: 'http-500', onFailure: 'keep' }));
    const own = runResources('f-keep', run.executionArn);
    await expectEnding(t, run, {
      endpointName: 'f-keep',
      status: 'FAILED',
      error: 'SmokeInvocationFailed',
      left: { models: [own.model], endpointConfigs: [own.endpointConfig], endpoints: ['f-keep'] },
    });
    const audit = await readAuditRecord(t, 'f-keep', run.name);
    expect(audit.rollback?.kept?.sort()).toEqual([`endpoint config ${own.endpointConfig}`, `endpoint f-keep`, `model ${own.model}`].sort());
  });
});

describe('the embedded AWS restarted in the middle of an execution', () => {
  const ENDPOINT = 'f-restart';
  let dataDir: string;
  let t: TestAws | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'aep-restart-'));
  });

  afterAll(async () => {
    await t?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the execution ends FAILED (EmbeddedAwsRestarted) naming the state it was in; a new deployment takes over its lock', async () => {
    t = await startTestAws({ dataDir });
    await uploadEchoFixtures(t);
    // A slow model keeps the run in the output-poll loop long enough to pull the plug there.
    const executionArn = await startDeployment(t, 'interrupted', echoDeployment(ENDPOINT, { fault: 'slow:8000' }));
    await eventually(async () => {
      const history = await executionHistory(t!, executionArn);
      expect(history.some((e) => e.stateEnteredEventDetails?.name === 'CheckOutput')).toBe(true);
    });
    await t.stop();

    t = await startTestAws({ dataDir });
    const interrupted = await t.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect({ status: interrupted.status, error: interrupted.error }).toEqual({ status: 'FAILED', error: 'EmbeddedAwsRestarted' });
    expect(interrupted.cause).toMatch(/CheckOutput|WaitOutputPoll|WaitForOutput|SmokeTests/);
    // Documented: RecordFailure never ran, so there is no audit record for it — its FAILED status is the record —
    // and its lock object is still there, held by an execution that is no longer RUNNING.
    const lock = await t.clients.s3.send(new GetObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: `locks/${ENDPOINT}.json` }));
    expect(JSON.parse(await lock.Body!.transformToString())).toMatchObject({ holder: executionArn });
    await expect(readAuditRecord(t, ENDPOINT, 'interrupted')).rejects.toMatchObject({ name: 'NoSuchKey' });

    // A new deployment takes the stale lock over and deploys (an update: the interrupted run's endpoint was restored).
    const next = await runDeployment(t, 'after-restart', echoDeployment(ENDPOINT));
    const mine = runResources(ENDPOINT, next.executionArn);
    const theirs = runResources(ENDPOINT, executionArn);
    await expectEnding(t, next, {
      endpointName: ENDPOINT,
      status: 'SUCCEEDED',
      left: { models: [mine.model, theirs.model].sort(), endpointConfigs: [mine.endpointConfig, theirs.endpointConfig].sort(), endpoints: [ENDPOINT] },
      serving: mine.endpointConfig,
    });
    expect(await inventory(t.clients.sagemaker, ENDPOINT)).toMatchObject({ endpoints: [ENDPOINT] });
  }, 90_000);
});
