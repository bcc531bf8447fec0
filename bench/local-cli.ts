import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PROJECT_ROOT } from '../infra/step-functions';
import { runningServerUrl } from '../local/server-file';
import { uploadExample } from './example-fixtures';
import { atMost, figure, type MeasurementResult } from './figures';
import { median } from './stats';

const MEASUREMENT = 'local-cli';
const BIN = join(PROJECT_ROOT, 'cli', 'bin.cjs');

export interface LocalCliOptions {
  runs: number;
  log: (line: string) => void;
}

/**
 * The commands a developer runs, as child processes, at the default wait scale (1): `aep local up` from spawn to
 * the first API answer (ListStateMachines), then `aep deploy --local --wait` of the example v1 against it, to the
 * command's exit. Each `runs` times on fresh data dirs (after one untimed warm-up that builds the example); medians.
 */
export async function measureLocalCli(options: LocalCliOptions): Promise<MeasurementResult> {
  const upSeconds: number[] = [];
  const deploySeconds: number[] = [];
  for (let run = 0; run <= options.runs; run++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'aep-bench-cli-'));
    const env = { ...process.env, AEP_DATA_DIR: dataDir, AEP_LOCAL_WAIT_SCALE: '1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' };
    const started = performance.now();
    const server = spawn(process.execPath, [BIN, 'local', 'up', '--port', '0', '--data-dir', dataDir], { env, stdio: 'ignore' });
    try {
      const url = await firstAnswer(dataDir, server);
      const up = (performance.now() - started) / 1000;
      const s3 = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
      const example = await uploadExample(s3, options.log);
      s3.destroy();
      const t0 = performance.now();
      const code = await exitCode(spawn(process.execPath, [BIN, 'deploy', '--local', '--model-uri', example.modelDataUrl, '--endpoint-name', `bench-cli-${run}`, '--wait', '--json'], { env, stdio: 'ignore' }));
      const deploy = (performance.now() - t0) / 1000;
      if (code !== 0) throw new Error(`aep deploy --local --wait exited ${code}`);
      options.log(`  run ${run}${run === 0 ? ' (warm-up)' : ''}: local up ${up.toFixed(2)} s, deploy ${deploy.toFixed(2)} s`);
      if (run > 0) {
        upSeconds.push(up);
        deploySeconds.push(deploy);
      }
    } finally {
      server.kill('SIGINT');
      await exitCode(server);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return {
    figures: [
      figure('local-up.seconds', MEASUREMENT, '`aep local up`: spawn → first API answer, median', median(upSeconds), 's', atMost(1)),
      figure('local-deploy.seconds', MEASUREMENT, '`aep deploy --local --wait` of the example (wait scale 1), median', median(deploySeconds), 's', atMost(5)),
    ],
    details: { runs: options.runs, upSeconds, deploySeconds },
  };
}

async function firstAnswer(dataDir: string, server: ChildProcess): Promise<string> {
  for (;;) {
    if (server.exitCode !== null) throw new Error(`aep local up exited ${server.exitCode} before answering`);
    const url = runningServerUrl(dataDir);
    if (url) {
      const sfn = new SFNClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
      try {
        await sfn.send(new ListStateMachinesCommand({}));
        return url;
      } catch {
        // not serving yet
      } finally {
        sfn.destroy();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
