import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { handlerEntry, PROJECT_ROOT, type PipelineStep } from '../infra/step-functions';

export interface LambdaBundle {
  step: PipelineStep;
  /** The bundled handler: what the Lambda's code asset holds as index.js. */
  file: string;
  bytes: number;
  sourceMapBytes: number;
}

/**
 * Bundles a step exactly as infra/step-lambda.ts has NodejsFunction bundle it: aws-cdk-lib runs
 * `esbuild --bundle <entry> --target=node22 --platform=node --format=cjs --outfile=<out>/index.js --minify
 * --sourcemap --sources-content=false` from the project root, with no --external (externalModules: []: the AWS SDK
 * is bundled in). These are the same options through esbuild's API. Keep them in step with step-lambda.ts.
 */
export async function bundleLikeCdk(step: PipelineStep, outDir: string): Promise<LambdaBundle> {
  const file = join(outDir, step.folder, 'index.js');
  await build({
    entryPoints: [handlerEntry(step)],
    bundle: true,
    target: 'node22',
    platform: 'node',
    format: 'cjs',
    outfile: file,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: [],
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'error',
  });
  return { step, file, bytes: statSync(file).size, sourceMapBytes: statSync(`${file}.map`).size };
}
