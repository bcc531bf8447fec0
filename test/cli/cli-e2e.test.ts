import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { XMLParser } from 'fast-xml-parser';
import { ensureExampleBuilt, EXAMPLE_DIR, uploadSmokeFixtures } from '../../cli/example-artifacts';
import { REPO_ROOT, startTestAws, type TestAws } from '../helpers/embedded';
import { resetClients } from '../../functions/lib/clients';

/**
 * The `aep` CLI as CI runs it — a child process (node cli/bin.cjs) — against the embedded AWS in this process,
 * through the real pipeline with the example recommender. One endpoint, runs in order: v1, broken, then invoke.
 */
jest.setTimeout(120_000);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let aws: TestAws;
let url: string;
const work = mkdtempSync(join(tmpdir(), 'aep-cli-e2e-'));
const build = join(EXAMPLE_DIR, 'build');
const MODELS = 's3://aep-models/cli-e2e';

function aep(...args: string[]): Promise<Run> {
  // Asynchronous on purpose: the embedded AWS answering the child runs on this process's event loop.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  delete env.AWS_ENDPOINT_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'cli', 'bin.cjs'), ...args], { cwd: work, env, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr });
    });
  });
}

const deployArgs = (version: string, ...more: string[]) => [
  'deploy', '--endpoint-url', url,
  '--model-uri', `${MODELS}/${version}/model.tar.gz`,
  '--input', join(build, version, 'deploy.json'),
  '--endpoint-name', 'recommender',
  ...more,
];

const junitParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' });

beforeAll(async () => {
  ensureExampleBuilt(() => undefined);
  aws = await startTestAws({ waitScale: 0.01 });
  url = aws.aws.url;
  resetClients(); // the shared clients of this process now point at the embedded AWS
  await uploadSmokeFixtures(JSON.parse(readFileSync(join(build, 'manifest.json'), 'utf8')));
  // Outside models/: the upload trigger must not start runs of its own.
  for (const version of ['v1', 'broken']) {
    await aws.clients.s3.send(
      new PutObjectCommand({ Bucket: 'aep-models', Key: `cli-e2e/${version}/model.tar.gz`, Body: readFileSync(join(build, version, 'model.tar.gz')) }),
    );
  }
});

afterAll(async () => {
  await aws?.stop();
});

describe('aep deploy against the embedded AWS', () => {
  let v1ConfigName: string;

  it('v1: exit 0, one JSON document on stdout, progress on stderr, a passing JUnit report', async () => {
    const junit = join(work, 'reports', 'v1.xml');
    const run = await aep(...deployArgs('v1', '--wait', '--json', '--junit', junit));
    expect(run.stderr).toContain('enter    ValidateInput');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      status: 'SUCCEEDED',
      endpointName: 'recommender',
      modelDataUrl: `${MODELS}/v1/model.tar.gz`,
      result: { endpointName: 'recommender', action: 'create', verdict: 'passed' },
      reused: false,
    });
    expect(report.executionArn).toMatch(/^arn:aws:states:us-east-1:\d{12}:execution:aep-deploy-async-endpoint:/);
    expect(report.cases.map((c: { name: string; passed: boolean }) => [c.name, c.passed])).toEqual([
      ['sneakers-top5', true],
      ['dresses-top5', true],
      ['handbag-embedding-top5', true],
    ]);
    expect(report.auditUri).toMatch(/^s3:\/\/aep-artifacts\/audit\/recommender\/.+\.json$/);
    expect(report.error).toBeUndefined();
    v1ConfigName = report.result.endpointConfigName;

    const suite = junitParser.parse(readFileSync(junit, 'utf8')).testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '3', failures: '0' });
    expect(suite.testcase.map((t: { name: string }) => t.name)).toEqual(['sneakers-top5', 'dresses-top5', 'handbag-embedding-top5']);
  });

  it('broken: exit 1 with BaselineMismatch and its cause, the failing cases in the JUnit report', async () => {
    const junit = join(work, 'reports', 'broken.xml');
    const run = await aep(...deployArgs('broken', '--wait', '--name', 'release-broken-1', '--junit', junit));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Deployment FAILED: BaselineMismatch/);
    expect(run.stdout).toMatch(/overlap@5 = 0\.00 < minOverlap 0\.80/);
    expect(run.stdout).toContain('failed state  GateFailed');
    // the candidate strategy: the gate ran on a temporary endpoint; production was never moved off v1
    expect(run.stdout).toMatch(/deleted candidate endpoint recommender-[0-9a-f]{10}/);
    expect(run.stdout).toContain(`endpoint recommender still serves its previous config ${v1ConfigName}`);
    expect(run.stderr).toMatch(/failed   BaselineMismatch/);

    const suite = junitParser.parse(readFileSync(junit, 'utf8')).testsuites.testsuite;
    expect(suite.failures).toBe('3');
    expect(suite.testcase[0].failure).toMatchObject({ type: 'BaselineMismatch', message: expect.stringMatching(/overlap@5/) });
  });

  it('--name: a repeat of the same run is recognised and its outcome reported again; another input under that name is refused', async () => {
    const again = await aep(...deployArgs('broken', '--wait', '--name', 'release-broken-1', '--json'));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists (FAILED) with this input');
    expect(JSON.parse(again.stdout)).toMatchObject({ executionName: 'release-broken-1', status: 'FAILED', reused: true, error: { error: 'BaselineMismatch' } });

    const clash = await aep(...deployArgs('broken', '--wait', '--name', 'release-broken-1', '--set', 'instanceCount=2'));
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('"release-broken-1" was already used with a different input');
  });

  it('status --follow --endpoint-name: the newest run of that endpoint, reported and exited as deploy --wait does', async () => {
    const followed = await aep('status', '--endpoint-url', url, '--endpoint-name', 'recommender', '--follow', '--json');
    expect(followed.code).toBe(1);
    expect(JSON.parse(followed.stdout)).toMatchObject({ executionName: 'release-broken-1', status: 'FAILED', error: { error: 'BaselineMismatch' } });
    // Without --follow, status only reports: exit 0 whatever the run's outcome.
    const plain = await aep('status', '--endpoint-url', url, '--endpoint-name', 'recommender');
    expect(plain.code).toBe(0);
    const none = await aep('status', '--endpoint-url', url, '--endpoint-name', 'nobody');
    expect(none).toMatchObject({ code: 0, stdout: 'No executions deploying nobody yet.\n' });
  });

  it('malformed input: exit 2 naming the field, nothing started', async () => {
    const bad = join(work, 'bad-deploy.json');
    writeFileSync(bad, JSON.stringify({ instanceType: 'm5.large', smokeTests: [{ name: 'x', payloadUri: 'nope' }] }));
    const run = await aep('deploy', '--endpoint-url', url, '--model-uri', `${MODELS}/v1/model.tar.gz`, '--input', bad, '--wait');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/instanceType: 'm5\.large' is not a SageMaker hosting instance type \(did you mean ml\.m5\.large\?\)/);
    expect(run.stderr).toMatch(/smokeTests\[0\]\.payloadUri: must be an S3 URI/);
    expect(run.stdout).toBe('');
  });

  it('unreachable endpoint URL: exit 3, saying so', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const run = await aep('deploy', '--endpoint-url', `http://127.0.0.1:${closedPort}`, '--model-uri', `${MODELS}/v1/model.tar.gz`, '--wait', '--json');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`Cannot reach http://127.0.0.1:${closedPort}`);
    expect(JSON.parse(run.stdout)).toMatchObject({ exitCode: 3, error: { name: 'InfrastructureError' } });
  });

  it('status and history tell what happened', async () => {
    const status = await aep('status', 'release-broken-1', '--endpoint-url', url, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'FAILED', error: { error: 'BaselineMismatch', state: 'GateFailed' } });

    const history = await aep('history', '--endpoint-name', 'recommender', '--endpoint-url', url);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^STARTED \(UTC\)\s+EXECUTION\s+VERDICT/);
    expect(history.stdout).toMatch(/release-broken-1\s+failed\s+.*BaselineMismatch/);
    expect(history.stdout).toMatch(new RegExp(`passed\\s+${v1ConfigName}`));
  });
});

describe('aep invoke against the embedded AWS', () => {
  it('--wait --display-results prints OutputLocation, then the recommendations', async () => {
    const payload = join(build, 'payloads', 'sneakers-top5.json');
    const run = await aep('invoke', '--endpoint-url', url, '--endpoint-name', 'recommender', '--input', payload, '--wait', '--display-results');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^OutputLocation: s3:\/\/aep-artifacts\/async-outputs\/recommender\/.+/);
    const result = JSON.parse(run.stdout.slice(run.stdout.indexOf('{')));
    const baseline = JSON.parse(readFileSync(join(build, 'baselines', 'sneakers-top5.json'), 'utf8'));
    expect(result.recommendations.map((r: { item_id: string }) => r.item_id)).toEqual(baseline.recommendations.map((r: { item_id: string }) => r.item_id));
    expect(run.stdout).toContain('\n  "recommendations": [\n'); // pretty-printed
  });

  it('a failure object: exit 1 with its content', async () => {
    const garbage = join(work, 'garbage.json');
    writeFileSync(garbage, 'this is not JSON');
    const run = await aep('invoke', '--endpoint-url', url, '--endpoint-name', 'recommender', '--input', garbage, '--wait', '--json');
    expect(run.code).toBe(1);
    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({ endpointName: 'recommender', status: 'failed' });
    expect(JSON.stringify(document.result)).toMatch(/body must be JSON/);
    expect(run.stderr).toContain('the invocation failed');
  });
});
