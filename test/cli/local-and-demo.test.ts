import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/embedded';

/** `aep local up` and `aep demo` (= npm start) as a user runs them: child processes, checked by what they print and their exit code. */
jest.setTimeout(300_000);

const BIN = join(REPO_ROOT, 'cli', 'bin.cjs');
const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete e.AWS_ENDPOINT_URL;
  delete e.AEP_PORT;
  return e;
};

it('aep local up: serves the pipeline on the given port until SIGINT, then stops cleanly (exit 0)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-local-up-'));
  const child = spawn(process.execPath, [BIN, 'local', 'up', '--port', '0', '--data-dir', dataDir], { cwd: REPO_ROOT, env: env() });
  try {
    let stdout = '';
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // Ready once the whole banner is out (it may arrive in several chunks).
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
        if (url && stdout.includes('Press Ctrl+C to stop.')) resolve(url);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${stdout}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await listening;
    expect(stdout).toContain('state machine        arn:aws:states:us-east-1:000000000000:stateMachine:aep-deploy-async-endpoint');
    expect(stdout).toContain(`console              ${url}/_aep/console/`);
    expect((await fetch(`${url}/_aep/console/`)).status).toBe(200);

    // The CLI finds the pipeline on it.
    const status = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [BIN, 'status', '--endpoint-url', url, '--json'], { cwd: REPO_ROOT, env: env(), timeout: 30_000 }, (error, out) =>
        resolve({ code: error ? Number(error.code) : 0, stdout: out }),
      ),
    );
    expect(status).toEqual({ code: 0, stdout: '{\n  "execution": null\n}\n' });

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('Embedded AWS stopped.');
  } finally {
    // Never leave the server behind, whatever failed above.
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('aep local up on a port in use: exit 3 with the reason', async () => {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-local-up-'));
  try {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, 'local', 'up', '--port', String(port), '--data-dir', dataDir], { cwd: REPO_ROOT, env: env(), timeout: 30_000 }, (error, _out, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stderr }),
      ),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
  } finally {
    server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('aep demo (npm start): v1 passes, broken fails the gate, the endpoint is back on v1 and answering — exit 0', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-demo-'));
  // Step logs on, as a user has them: they must land in the data dir's log file, not in the story.
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [BIN, 'demo', '--data-dir', dataDir], { cwd: REPO_ROOT, env: { ...env(), POWERTOOLS_LOG_LEVEL: 'INFO' }, timeout: 240_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );
  const stepLog = readFileSync(join(dataDir, 'logs', 'steps.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  rmSync(dataDir, { recursive: true, force: true });
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/"level":/);
  // Every line carries its step, and every line of a run's Task its execution, Map iterations included (they run
  // concurrently in one process); only event deliveries (AwaitEvent resuming waits) belong to no one execution.
  const smokeLines = stepLog.filter((l) => l.step === 'SmokeInvoke');
  expect(smokeLines.length).toBeGreaterThanOrEqual(3);
  for (const line of stepLog) expect(line).toEqual(expect.objectContaining({ step: expect.any(String) }));
  for (const line of stepLog.filter((l) => l.step !== 'AwaitEvent')) expect(line).toEqual(expect.objectContaining({ executionId: expect.any(String) }));
  expect(run.stdout).toMatch(/Deployment succeeded in [\d.]+s/);
  expect(run.stdout).toMatch(/Deployment FAILED: BaselineMismatch/);
  expect(run.stdout).toMatch(/✓ endpoint back on v1's config, InService/);
  expect(run.stdout).toMatch(/✓ endpoint still answering with v1's recommendations/);
  expect(run.stdout).toMatch(/All as expected in [\d.]+s\./);
  expect(run.stdout).toMatch(/Watch it in a browser: http:\/\/127\.0\.0\.1:\d+\/_aep\/console\/ .*--keep-open/);
  expect(run.stderr).toMatch(/enter    SmokeTests/);
  // How long it takes is the bench's business (local-deploy.seconds), not a test's: a busy machine is slow.
  expect(run.code).toBe(0);
});
