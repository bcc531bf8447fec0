import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { cdkJsonConfig, synthesize } from '../infra/synth';

/** The repository root (infra/, cdk.json). */
const REPO_ROOT = join(__dirname, '..', '..');

/** What the stack's policies are made from: a change to any of these synthesizes the template again. */
const SOURCES = ['infra', 'functions/lib', 'cdk.json', 'package-lock.json'];

function files(path: string): string[] {
  const full = join(REPO_ROOT, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [full];
  return readdirSync(full).sort().flatMap((name) => files(join(path, name)));
}

/** A hash of infra/ and what it reads: the cache key of the synthesized template. */
export function stackSourcesHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap(files)) hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The repository's stack synthesized as `npm run synth` does (without bundling the functions, which does not change
 * a policy), cached in the temp dir by a hash of its sources: the first test that needs it in a run pays ~20 s,
 * later ones and later runs read the file. Parallel jest workers wait for the one that synthesizes.
 */
export function synthesizedTemplate(): string {
  const dir = join(tmpdir(), 'aep-stack-templates');
  const file = join(dir, `AepPipeline-${stackSourcesHash()}.template.json`);
  mkdirSync(dir, { recursive: true });
  const lock = `${file}.lock`;
  for (;;) {
    if (existsSync(file)) return file;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another worker is synthesizing; a lock older than 5 minutes belongs to a worker that died.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      sleep(500);
    }
  }
  try {
    if (existsSync(file)) return file;
    const synthesized = synthesize(cdkJsonConfig(), { bundle: false });
    try {
      copyFileSync(join(synthesized.outdir, `${synthesized.stack.stackName}.template.json`), `${file}.tmp`);
      renameSync(`${file}.tmp`, file);
    } finally {
      synthesized.dispose();
    }
    return file;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
