import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { sagemaker, sagemakerRuntime } from '../functions/lib/clients';
import { consoleUrl } from '../local/console/console-service';
import { startEmbeddedAws, type EmbeddedAws } from '../local/embedded-aws';
import { untilStopSignal } from '../local/stop-signal';
import { waitForAsyncResult } from './async-result';
import { connect } from './aws-connection';
import { ExitCode, InfrastructureError } from './cli-errors';
import { ensureExampleBuilt, examplePayload, REPO_ROOT, uploadSmokeFixtures, uploadVersion } from './example-artifacts';
import { createOutput, palette, type Output } from './output';
import type { RunReport } from './run-report';
import { summaryLines } from './run-summary';
import { findUploadExecution } from './upload-execution';
import { watchRun } from './watch-run';

const ENDPOINT = 'recommender';
/** Pipeline waits 20× shorter than in AWS: the demo's polls take a second or two, not half a minute. */
const DEMO_WAIT_SCALE = 0.05;
const DEMO_DEADLINE_SECONDS = 120;

export interface DemoFlags {
  dataDir?: string;
  /** Also print the pipeline steps' log lines on stderr. */
  verbose?: boolean;
  /** After the demo, keep the embedded AWS (and its console) serving until Ctrl+C. */
  keepOpen?: boolean;
}

interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

/**
 * `aep demo` (`npm start`): the embedded AWS in this process, the example recommender deployed by upload as a user
 * would, v1 then broken, each run followed state by state; exits 0 only when everything behaved as it must.
 */
export async function runDemo(flags: DemoFlags) {
  const output = createOutput();
  const paint = palette(output.resultColor);
  const started = Date.now();
  const manifest = ensureExampleBuilt((line) => output.progress(line));
  const dataDir = flags.dataDir ?? mkdtempSync(join(tmpdir(), 'aep-demo-'));
  const aws = await startEmbeddedAws({
    port: process.env.AEP_PORT ? Number(process.env.AEP_PORT) : 0,
    dataDir,
    configPath: join(REPO_ROOT, 'aep.local.json'),
    waitScale: process.env.AEP_LOCAL_WAIT_SCALE ? Number(process.env.AEP_LOCAL_WAIT_SCALE) : DEMO_WAIT_SCALE,
    log: (line) => output.progress(paint.dim(`  [embedded aws] ${line}`)),
    // The steps run in this process: their JSON logs go to the data dir, never into the story on stdout.
    echoStepLogs: flags.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
  const checks: Check[] = [];
  try {
    connect({ endpointUrl: aws.url });
    output.line(paint.bold(`Embedded AWS on ${aws.url} (data in ${dataDir}, waits × ${aws.waitScale})`));
    output.line(`Watch it in a browser: ${consoleUrl(aws.url)}${flags.keepOpen ? '' : '  (serves while the demo runs; npm start -- --keep-open keeps it up afterwards)'}`);
    output.line(`Uploaded ${await uploadSmokeFixtures(manifest)} smoke payloads and baselines to s3://${aws.names.modelsBucket}/examples/recommender/`);

    const v1 = await deployVersion(aws, 'v1', output);
    checks.push({ what: 'v1 deployed, smoke tests passed', ok: v1.status === 'SUCCEEDED', detail: v1.status });

    const broken = await deployVersion(aws, 'broken', output);
    checks.push({
      what: 'broken model stopped by the gate (BaselineMismatch)',
      ok: broken.status === 'FAILED' && broken.error?.error === 'BaselineMismatch',
      detail: `${broken.status}${broken.error ? ` ${broken.error.error}` : ''}`,
    });
    // The candidate strategy: the gate ran on a temporary endpoint, which is gone; production was never updated.
    const actions = broken.rollback?.actions ?? [];
    checks.push({
      what: 'broken was tested on a candidate endpoint; production never saw it',
      ok: actions.some((a) => a.startsWith('deleted candidate endpoint')) && actions.some((a) => a.includes('still serves its previous config')),
      detail: actions.filter((a) => /candidate|previous config/.test(a)).join('; '),
    });

    checks.push(...(await checkStillServingV1(v1, manifest, output)));
    if (flags.keepOpen) {
      output.line();
      output.line(paint.bold(`Console: ${consoleUrl(aws.url)} — both runs, the endpoint, the gate. Ctrl+C to stop.`));
      await untilStopSignal();
    }
  } finally {
    await aws.close();
    if (!flags.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  output.line();
  output.line(paint.bold('Demo'));
  for (const c of checks) output.line(`  ${c.ok ? paint.green('✓') : paint.red('✗')} ${c.what}  ${paint.dim(c.detail)}`);
  const ok = checks.every((c) => c.ok);
  output.line(`${ok ? paint.green('All as expected') : paint.red('Not as expected')} in ${((Date.now() - started) / 1000).toFixed(1)}s.`);
  return ok ? ExitCode.Succeeded : ExitCode.GateFailed;
}

/** Uploads a version as a user would (deploy.json, then model.tar.gz), and follows the run the upload started. */
async function deployVersion(aws: EmbeddedAws, version: string, output: Output): Promise<RunReport> {
  output.line();
  output.line(palette(output.resultColor).bold(`── ${version}: upload s3://${aws.names.modelsBucket}/models/${ENDPOINT}/${version}/model.tar.gz ──`));
  const uploadedAt = new Date();
  const upload = await uploadVersion(version, aws.names.modelsBucket, ENDPOINT);
  const modelDataUrl = `s3://${aws.names.modelsBucket}/${upload.key}`;
  const executionArn = await findUploadExecution({ stateMachineArn: aws.names.stateMachineArn, modelDataUrl, uploadedAt, deadline: Date.now() + 10_000 });
  if (!executionArn) {
    throw new InfrastructureError(`The upload of ${modelDataUrl} did not start the pipeline`, 'The embedded S3 → Step Functions trigger did not fire: see the [embedded aws] lines above.');
  }
  const report = await watchRun({
    executionArn,
    output,
    deadline: Date.now() + DEMO_DEADLINE_SECONDS * 1000,
    pollIntervalMs: 200,
    artifactsBucket: async () => aws.names.artifactsBucket,
  });
  for (const line of summaryLines(report, output.resultColor)) output.line(line);
  return report;
}

/**
 * After the failed gate the endpoint must be back on v1's config, InService, and still answer as v1 did: an
 * asynchronous invocation (an async endpoint serves no other kind) of a smoke payload must return v1's top 5.
 */
async function checkStillServingV1(v1: RunReport, manifest: ReturnType<typeof ensureExampleBuilt>, output: Output): Promise<Check[]> {
  output.line();
  output.line(palette(output.resultColor).bold(`── after the failed gate: is ${ENDPOINT} still serving v1? ──`));
  const endpoint = await sagemaker().send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
  const v1Config = v1.result?.endpointConfigName;
  output.line(`  endpoint      ${ENDPOINT}  ${endpoint.EndpointStatus}  config ${endpoint.EndpointConfigName}  (v1's: ${v1Config ?? '?'})`);
  const onV1: Check = {
    what: 'endpoint back on v1\'s config, InService',
    ok: v1Config !== undefined && endpoint.EndpointConfigName === v1Config && endpoint.EndpointStatus === 'InService',
    detail: `${endpoint.EndpointStatus} ${endpoint.EndpointConfigName}`,
  };

  const payload = examplePayload(manifest, 'sneakers-top5.json');
  const invoked = await sagemakerRuntime().send(
    new InvokeEndpointAsyncCommand({ EndpointName: ENDPOINT, InputLocation: payload.uri, ContentType: 'application/json', Accept: 'application/json' }),
  );
  const result = await waitForAsyncResult({
    outputLocation: invoked.OutputLocation!,
    failureLocation: invoked.FailureLocation,
    deadline: Date.now() + 30_000,
    initialDelayMs: 50,
    maxDelayMs: 500,
  });
  const topIds = (body: unknown) => ((body as { recommendations?: Array<{ item_id: string }> })?.recommendations ?? []).map((r) => r.item_id);
  const answer = result.outcome === 'output' ? topIds(JSON.parse(result.body)) : [];
  const expected = topIds(payload.baseline);
  output.line(`  invocation    ${payload.uri} → ${result.location}`);
  output.line(`  answer        ${answer.join(', ') || result.body}`);
  output.line(`  v1 baseline   ${expected.join(', ')}`);
  const answering: Check = {
    what: 'endpoint still answering with v1\'s recommendations',
    ok: answer.length > 0 && answer.join() === expected.join(),
    detail: result.outcome === 'output' ? `${answer.length} recommendations` : 'failure object',
  };
  return [onV1, answering];
}
