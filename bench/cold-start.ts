import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipelineFunctionEnvironment } from '../local/lambda/function-environment';
import { pipelineResources } from '../local/pipeline-resources';
import { handlerEntry, PIPELINE_STEPS, PROJECT_ROOT, type PipelineStep } from '../infra/step-functions';
import { atMost, figure, type MeasurementResult } from './figures';
import { bundleLikeCdk, type LambdaBundle } from '../scripts/lambda-bundle';
import { runNode } from './node-process';
import { median, ratio } from './stats';

const MEASUREMENT = 'lambda-cold-start';
/** Lambda's deployment package is not the limit here: a bundle over 1 MB is a sign the SDK tree-shook badly. */
const MAX_BUNDLE_KIB = 1024;
const MAX_IMPORT_RATIO = 0.8;

export interface ColdStartOptions {
  /** Fresh processes per variant and function (after one discarded warm-up each). */
  runs: number;
  log: (line: string) => void;
}

/**
 * Times `require(handler)` in a fresh Node process — the part of a Lambda cold start the code controls — for the
 * CDK bundle (with NODE_OPTIONS=--enable-source-maps, as the stack sets it) versus the TypeScript source loaded
 * through tsx with the SDK from node_modules. The clock starts after tsx registers, so only the import is timed.
 */
export async function measureColdStart(options: ColdStartOptions): Promise<MeasurementResult> {
  const steps = PIPELINE_STEPS.filter((s) => existsSync(handlerEntry(s)));
  const missing = PIPELINE_STEPS.filter((s) => !steps.includes(s)).map((s) => s.folder);
  const outDir = mkdtempSync(join(tmpdir(), 'aep-bench-bundles-'));
  try {
    const bundles: LambdaBundle[] = [];
    for (const step of steps) bundles.push(await bundleLikeCdk(step, join(outDir, step.folder)));
    options.log(`  bundled ${bundles.length} functions like the CDK stack; timing imports in ${options.runs} fresh processes each`);

    const env = childEnvironment();
    const bundled = new Map<string, number[]>(steps.map((s) => [s.folder, []]));
    const source = new Map<string, number[]>(steps.map((s) => [s.folder, []]));
    // Round 0 warms the disk cache and tsx's transform cache; it is not counted. Variants alternate within a round.
    for (let round = 0; round <= options.runs; round++) {
      for (const bundle of bundles) {
        const a = await importMillis(bundledImport(bundle.file), env);
        const b = await importMillis(sourceImport(bundle.step), env);
        if (round > 0) {
          bundled.get(bundle.step.folder)!.push(a);
          source.get(bundle.step.folder)!.push(b);
        }
      }
    }

    const perFunction = bundles.map((b) => {
      const bundledSamples = bundled.get(b.step.folder)!;
      const sourceSamples = source.get(b.step.folder)!;
      const bundledMs = median(bundledSamples);
      const sourceMs = median(sourceSamples);
      return {
        function: b.step.folder,
        bundleKiB: b.bytes / 1024,
        sourceMapKiB: b.sourceMapBytes / 1024,
        bundledImportMs: bundledMs,
        unbundledImportMs: sourceMs,
        // The median of per-round pairs: each round's two imports share the machine's load of that moment.
        importRatio: median(bundledSamples.map((ms, i) => ratio(ms, sourceSamples[i]))),
        bundledSamplesMs: bundled.get(b.step.folder),
        unbundledSamplesMs: source.get(b.step.folder),
      };
    });
    const largest = perFunction.reduce((a, b) => (b.bundleKiB > a.bundleKiB ? b : a));
    const worst = perFunction.reduce((a, b) => (b.importRatio > a.importRatio ? b : a));
    const note = missing.length ? `not measured (no handler yet): ${missing.join(', ')}` : undefined;
    return {
      figures: [
        figure('cold-start.largest-bundle-kib', MEASUREMENT, `largest bundle (${largest.function})`, largest.bundleKiB, 'KiB', atMost(MAX_BUNDLE_KIB), note),
        figure('cold-start.bundled-import-ms', MEASUREMENT, 'median bundled import, median over functions', median(perFunction.map((f) => f.bundledImportMs)), 'ms'),
        figure('cold-start.unbundled-import-ms', MEASUREMENT, 'median unbundled import (tsx), median over functions', median(perFunction.map((f) => f.unbundledImportMs)), 'ms'),
        figure('cold-start.import-ratio', MEASUREMENT, `worst import-time ratio bundled/unbundled, median of per-round pairs (${worst.function})`, worst.importRatio, '', atMost(MAX_IMPORT_RATIO)),
      ],
      details: { runsPerVariant: options.runs, functions: perFunction, notMeasured: missing },
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** The environment the stack gives a step (its import may read it), and no endpoint: nothing is called. */
function childEnvironment(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...pipelineFunctionEnvironment(pipelineResources('us-east-1')),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

const TIMED_REQUIRE =
  'const started = process.hrtime.bigint(); const m = require(FILE);' +
  "if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(9); }" +
  'process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));';

function bundledImport(file: string): string[] {
  return ['--enable-source-maps', '-e', TIMED_REQUIRE.replace('FILE', JSON.stringify(file))];
}

function sourceImport(step: PipelineStep): string[] {
  const script = "require('tsx/cjs/api').register();" + TIMED_REQUIRE.replace('FILE', JSON.stringify(handlerEntry(step)));
  return ['--enable-source-maps', '-e', script];
}

async function importMillis(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const out = await runNode(args, { env, cwd: PROJECT_ROOT });
  const ms = Number(out.trim());
  if (!Number.isFinite(ms)) throw new Error(`import timing printed ${JSON.stringify(out)}, not a number of milliseconds`);
  return ms;
}
