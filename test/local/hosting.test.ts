import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { Hosting, type DeploymentSpec } from '../../local/hosting/hosting';
import { LocalAwsClients } from '../../local/hosting/local-aws-clients';
import { extractSafely } from '../../local/hosting/model-artifacts';
import { parseLocalConfig } from '../../local/local-config';
import { ECHO_IMAGE, pidAlive, REPO_ROOT, survivors, TEST_CONFIG } from './sagemaker.harness';

// Hosting on its own: echo containers need no model data, so no S3 is involved.
const noAws = new LocalAwsClients(() => {
  throw new Error('no S3 in this test');
});

function spec(name: string, env: Record<string, string> = {}, instanceCount = 1, image = ECHO_IMAGE): DeploymentSpec {
  return {
    endpointName: name,
    endpointConfigName: `${name}-config`,
    variants: [{ variantName: 'AllTraffic', modelName: `${name}-model`, image, environment: env, instanceType: 'ml.m5.large', instanceCount }],
  };
}

describe('Hosting', () => {
  let dataDir: string;
  let hosting: Hosting;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'aep-hosting-'));
    // Generous: a healthy server passes as soon as it answers, and a busy machine may take seconds to start one.
    hosting = new Hosting({ dataDir, aws: noAws, config: parseLocalConfig({ ...TEST_CONFIG, hosting: { healthCheckTimeoutSeconds: 8, stopGraceSeconds: 1 } }, REPO_ROOT) });
  });
  afterEach(async () => {
    await hosting.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs InitialInstanceCount processes on their own ports, each answering /invocations, and stops them all', async () => {
    await hosting.deploy(spec('echo', {}, 2));
    const instances = hosting.instances('echo');
    expect(instances).toHaveLength(2);
    expect(new Set(instances.map((i) => i.process.port)).size).toBe(2);
    const answer = await fetch(`${instances[0].process.url}/invocations`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(await answer.text()).toBe('hello');
    const pids = instances.map((i) => i.process.pid!);
    expect(pids.every(pidAlive)).toBe(true);
    await hosting.stop('echo');
    expect(await survivors(pids, 100)).toEqual([]);
  });

  it('names an unmapped image and what is mapped', async () => {
    await expect(hosting.deploy(spec('nope', {}, 1, 'acme/unknown:1'))).rejects.toThrow(/Image acme\/unknown:1 .* has no local command: map it under "images".*local\/echo:latest/);
  });

  it('reports a process that exits before it is healthy, with its exit code and last stderr lines', async () => {
    await expect(hosting.deploy(spec('crash', { AEP_FAULT: 'exit-at-start' }))).rejects.toThrow(
      /exited with code 3 before passing the ping health check\. Last stderr lines:\necho: exiting at start.*\nContainer log: \/.*\/hosting\/logs\/crash\/.*\.log$/,
    );
    expect(hosting.instances('crash')).toHaveLength(0);
  });

  it('gives up on /ping after the health-check timeout and stops the process', async () => {
    // The timeout leaves a busy machine time to start the server, so the last answer is its 503, not a ping cut short.
    const started = Date.now();
    const failure: Error = await hosting.deploy(spec('sick', { AEP_FAULT: 'never-healthy' })).then(
      () => new Error('deployed'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/was not 200 within 8 s \(last: 503\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(7900);
    const port = /on port (\d+)/.exec(failure.message)?.[1];
    const answer = await fetch(`http://127.0.0.1:${port}/ping`).then((r) => String(r.status), (error: Error) => String((error.cause as NodeJS.ErrnoException)?.code));
    expect(answer).toBe('ECONNREFUSED');
  });

  it('swaps fleets blue/green and keeps the old fleet when the new one fails', async () => {
    await hosting.deploy(spec('bg'));
    const blue = hosting.instances('bg')[0].process;
    await expect(hosting.deploy({ ...spec('bg', { AEP_FAULT: 'never-healthy' }), endpointConfigName: 'bg-bad' })).rejects.toThrow(/ping/);
    expect(hosting.instances('bg')[0].process).toBe(blue);
    expect(blue.running).toBe(true);
    await hosting.deploy({ ...spec('bg'), endpointConfigName: 'bg-green' });
    const green = hosting.instances('bg')[0].process;
    expect(green).not.toBe(blue);
    expect(green.running).toBe(true);
    expect(await survivors([blue.pid!], 3000)).toEqual([]);
  });
});

describe('supervisor', () => {
  it('stops the model server when the embedded AWS dies without cleaning up (SIGKILL)', async () => {
    // A stand-in for the server: spawns the supervisor as Hosting does, prints the model server's pid, then waits.
    const parentScript = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, [${JSON.stringify(join(REPO_ROOT, 'local/hosting/supervisor.cjs'))}, '500', process.execPath, ${JSON.stringify(join(REPO_ROOT, 'examples/echo/serve.mjs'))}],
        { stdio: ['pipe', 'ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, SAGEMAKER_BIND_TO_PORT: '0' } });
      child.stdio[3].on('data', (d) => process.stdout.write(d));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    const modelServerPid = Number(/pid (\d+)/.exec(line)?.[1]);
    expect(pidAlive(modelServerPid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await survivors([modelServerPid], 5000)).toEqual([]);
  });
});

describe('extractSafely', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'aep-tar-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('extracts regular files and refuses entries that would escape SM_MODEL_DIR', async () => {
    mkdirSync(join(dir, 'src', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'src', 'nested', 'model.json'), '{}');
    await tar.c({ gzip: true, cwd: join(dir, 'src'), file: join(dir, 'good.tar.gz') }, ['nested']);
    mkdirSync(join(dir, 'out'));
    await extractSafely(join(dir, 'good.tar.gz'), join(dir, 'out'), 'good');
    expect(require('node:fs').readFileSync(join(dir, 'out', 'nested', 'model.json'), 'utf8')).toBe('{}');

    // preservePaths keeps the ../ in the archive, as a hostile archive would have it.
    await tar.c({ gzip: true, cwd: join(dir, 'src', 'nested'), file: join(dir, 'evil.tar.gz'), preservePaths: true }, ['../nested/model.json']);
    mkdirSync(join(dir, 'out2'));
    await expect(extractSafely(join(dir, 'evil.tar.gz'), join(dir, 'out2'), 'evil')).rejects.toThrow(/evil/);
  });

  it('refuses a file that is not gzip', async () => {
    writeFileSync(join(dir, 'plain.tar.gz'), 'not a tarball');
    await expect(extractSafely(join(dir, 'plain.tar.gz'), dir, 's3://b/plain.tar.gz')).rejects.toThrow(/is not a gzip-compressed tar archive/);
  });
});
