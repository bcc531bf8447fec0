import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/embedded';

/** `npm start -- --keep-open`: after the demo, the console keeps serving both runs until Ctrl+C. */
jest.setTimeout(120_000);

it('aep demo --keep-open: the console lists both runs after the demo, until SIGINT (exit 0)', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.AWS_ENDPOINT_URL;
  delete env.AEP_PORT;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'cli', 'bin.cjs'), 'demo', '--keep-open'], { cwd: REPO_ROOT, env });
  try {
    let stdout = '';
    const consoleUrl = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const url = /Console: (http:\/\/127\.0\.0\.1:\d+\/_aep\/console\/) .*Ctrl\+C to stop\./.exec(stdout)?.[1];
        if (url) resolve(url);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before keeping the console open: ${stdout}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const { executions } = (await (await fetch(`${consoleUrl}api/executions`)).json()) as { executions: { status: string; error?: string }[] };
    expect(executions.map((e) => [e.status, e.error])).toEqual([
      ['FAILED', 'BaselineMismatch'],
      ['SUCCEEDED', undefined],
    ]);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/All as expected in [\d.]+s\./);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
