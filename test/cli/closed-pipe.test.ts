import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/embedded';

/** `aep … | head`: the reader goes away early; aep must keep its own exit code, not crash with EPIPE (exit 1). */
jest.setTimeout(60_000);

function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'cli', 'bin.cjs'), ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
  // As `head` does once it has read enough: close the read end before aep writes.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

it('keeps exit code 0 when stdout is closed before the help is written', async () => {
  const run = await runWithClosedStdout(['deploy', '--help']);
  expect(run.stderr).not.toMatch(/EPIPE/);
  expect(run.code).toBe(0);
});

it('keeps the usage exit code (2) when stdout is closed', async () => {
  const run = await runWithClosedStdout(['deploy', '--json', '--model-uri', 'not-a-uri']);
  expect(run.stderr).not.toMatch(/EPIPE/);
  expect(run.code).toBe(2);
});
