import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { REPO_ROOT, startTestAws, type TestAws } from '../helpers/embedded';
import { echoDeployment, uploadEchoFixtures } from '../helpers/scenario';

/** Ctrl-C during `aep deploy --wait --json`: still exactly one JSON document (RUNNING, the ARN, how to follow), exit 130. */

let t: TestAws;
let work: string;

beforeAll(async () => {
  // slow waits: the run is still going when the interrupt comes
  t = await startTestAws({ waitScale: 0.2 });
  await uploadEchoFixtures(t);
  work = mkdtempSync(join(tmpdir(), 'aep-interrupt-'));
}, 60_000);

afterAll(async () => {
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('SIGINT while following: one JSON document saying RUNNING with the ARN, a note on stderr, exit 130, the run goes on', async () => {
  const input = join(work, 'input.json');
  writeFileSync(input, JSON.stringify(echoDeployment('interrupted-cli')));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  delete env.AWS_ENDPOINT_URL;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'cli', 'bin.cjs'), 'deploy', '--endpoint-url', t.aws.url, '--input', input, '--wait', '--json'], { cwd: work, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) =>
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (/arn:aws:states:\S+:execution:/.test(stderr)) resolve();
    }),
  );
  child.kill('SIGINT');
  expect(await exited).toBe(130);

  const document = JSON.parse(stdout) as { executionArn: string; status: string; follow: string };
  expect(document).toMatchObject({ status: 'RUNNING', interrupted: true, executionArn: expect.stringMatching(/:execution:aep-deploy-async-endpoint:/) });
  expect(document.follow).toBe(`aep status ${document.executionArn} --endpoint-url ${t.aws.url}`);
  expect(stderr).toContain('goes on in Step Functions');
  // the execution was not stopped by the interrupt
  const described = await t.clients.sfn.send(new DescribeExecutionCommand({ executionArn: document.executionArn }));
  expect(described.status).not.toBe('ABORTED');
  await t.aws.services.stepFunctions.waitForExecution(document.executionArn);
}, 180_000);
