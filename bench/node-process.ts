import { execFile } from 'node:child_process';

export class BenchChildFailed extends Error {
  override readonly name = 'BenchChildFailed';
}

/**
 * Runs `node <args>` as a fresh process and returns its stdout. The benchmark's clean-slate primitive: nothing the
 * parent has loaded or cached in memory carries over. A non-zero exit or a timeout throws with the child's stderr.
 */
export function runNode(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { env: options.env, cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new BenchChildFailed(`node ${args.slice(0, 3).join(' ')} … failed: ${error.message}\n${stderr.slice(-2000)}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}
