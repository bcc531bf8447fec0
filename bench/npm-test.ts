import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../infra/step-functions';
import { figure, type MeasurementResult } from './figures';

/** `npm test` (type check, every jest suite, cdk synth) timed as a developer runs it; reported, no goal. */
export async function measureNpmTest(options: { log: (line: string) => void }): Promise<MeasurementResult> {
  const started = performance.now();
  const child = spawn('npm', ['test'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POWERTOOLS_LOG_LEVEL: undefined } });
  let tail = '';
  let jestSummary: string | undefined;
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
    // Jest's own count line (`Tests: 2 failed, 450 passed, 452 total`), before cdk synth's output pushes it out of the tail.
    jestSummary = jestTestsLine(tail) ?? jestSummary;
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  options.log(`  npm test exited ${code} after ${Math.round(seconds)} s`);
  const summary = jestSummary ?? tail.split('\n').filter(Boolean).slice(-3).join(' / ');
  return {
    figures: [figure('npm-test.seconds', 'npm-test', `npm test (exit ${code}): ${summary}`.slice(0, 120), seconds, 's')],
    details: { exitCode: code, outputTail: tail },
  };
}

/** The last `Tests:` line of jest's summary in `text`, without the label; undefined when there is none. */
export function jestTestsLine(text: string): string | undefined {
  const lines = [...text.matchAll(/^Tests:\s+(.+)$/gm)];
  return lines.at(-1)?.[1].trim();
}
