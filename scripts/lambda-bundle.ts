import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { handlerEntry, PROJECT_ROOT, STEP_BUNDLING, type PipelineStep } from '../infra/step-functions';

export interface LambdaBundle {
  step: PipelineStep;
  /** The bundled handler: what the Lambda's code asset holds as index.js. */
  file: string;
  bytes: number;
  sourceMapBytes: number;
}

/**
 * Bundles a step into `dir`/index.js exactly as infra/step-lambda.ts has NodejsFunction bundle it: the same
 * STEP_BUNDLING options, CommonJS for Node, run from the project root, nothing external (the AWS SDK is bundled in).
 * The package build ships these bundles; the benchmark measures them.
 */
export async function bundleLikeCdk(step: PipelineStep, dir: string): Promise<LambdaBundle> {
  const file = join(dir, 'index.js');
  await build({
    entryPoints: [handlerEntry(step)],
    bundle: true,
    target: STEP_BUNDLING.target,
    platform: 'node',
    format: 'cjs',
    outfile: file,
    minify: STEP_BUNDLING.minify,
    sourcemap: STEP_BUNDLING.sourceMap,
    sourcesContent: STEP_BUNDLING.sourcesContent,
    mainFields: [...STEP_BUNDLING.mainFields],
    external: [],
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'error',
  });
  return { step, file, bytes: statSync(file).size, sourceMapBytes: statSync(`${file}.map`).size };
}
