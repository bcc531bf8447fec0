import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedAws } from '../../local/embedded-aws';
import { runLocalUp, type LocalUpOptions } from '../../local/local-up';
import { REPO_ROOT } from '../helpers/embedded';
import { synthesizedTemplate } from '../helpers/stack-template';

/** `aep local up` says in its banner whether IAM is enforced, and from which template. */

async function banner(options: LocalUpOptions): Promise<{ printed: string; aws: EmbeddedAws }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-up-iam-'));
  const signals = new EventEmitter();
  const out: string[] = [];
  let onReady!: (aws: EmbeddedAws) => void;
  const ready = new Promise<EmbeddedAws>((resolve) => (onReady = resolve));
  const exited = runLocalUp(
    { port: 0, dataDir, configPath: join(REPO_ROOT, 'aep.local.json'), ...options },
    { out: (l) => out.push(l), err: () => undefined, signals, onReady },
  );
  const aws = await ready;
  signals.emit('SIGTERM');
  expect(await exited).toBe(0);
  rmSync(dataDir, { recursive: true, force: true });
  return { printed: out.join('\n'), aws };
}

test('with a synthesized template: IAM enforced from it, said in the banner', async () => {
  const template = synthesizedTemplate();
  const { printed, aws } = await banner({ iamTemplate: template });
  expect(aws.iamTemplate).toBe(template);
  expect(printed).toMatch(/ {2}IAM {18}enforced from .*AepPipeline-[0-9a-f]+\.template\.json: the pipeline's calls are evaluated against its roles' policies/);
});

test('--no-iam: not enforced, said in the banner', async () => {
  const { printed, aws } = await banner({ iamTemplate: false });
  expect(aws.iamTemplate).toBeUndefined();
  expect(printed).toContain('  IAM                  not enforced (--no-iam)');
});

test('a template path that does not exist: refuses to start, naming it', async () => {
  const err: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-up-iam-'));
  const code = await runLocalUp(
    { port: 0, dataDir, iamTemplate: '/nonexistent/AepPipeline.template.json' },
    { out: () => undefined, err: (l) => err.push(l) },
  );
  rmSync(dataDir, { recursive: true, force: true });
  expect(code).toBe(1);
  expect(err.join('\n')).toContain('No synthesized template at /nonexistent/AepPipeline.template.json: run `npm run synth` first');
});
