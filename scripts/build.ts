/**
 * `npm run build`, run by `npm pack`/`npm publish` (prepack): the package's dist/ — the JavaScript and type
 * declarations of infra/, functions/, local/ and cli/ (tsconfig.build.json), the files that code reads next to
 * itself (the ASL file, the embedded AWS's console and model servers, the example the demo deploys), and each step
 * pre-bundled for the construct (infra/step-lambda.ts). dist/ mirrors the repository, so every path the code builds
 * from __dirname finds the same file in both.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PIPELINE_STEPS, stepBundleDir } from '../infra/step-functions';
import { bundleLikeCdk } from './lambda-bundle';

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');

/** Read at run time relative to the compiled code; TypeScript sources are compiled instead of copied. */
const RUNTIME_FILES = ['statemachines', 'aep.local.json', 'local', 'examples/recommender', 'examples/echo'];
/** Build output and caches that may sit among them in a working copy. */
const NOT_SHIPPED = new Set(['build', '__pycache__', 'node_modules']);

async function build(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  for (const path of RUNTIME_FILES) {
    cpSync(join(ROOT, path), join(DIST, path), {
      recursive: true,
      filter: (file) => !file.endsWith('.ts') && !NOT_SHIPPED.has(basename(file)),
    });
  }
  await Promise.all(PIPELINE_STEPS.map((step) => bundleLikeCdk(step, stepBundleDir(step, DIST))));
  console.log(`dist/: compiled, runtime files copied, ${PIPELINE_STEPS.length} steps bundled`);
}

build().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
