import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_IN_CONFIG, loadLocalConfig } from '../../local/local-config';
import { watchLocalConfig } from '../../local/local-config-watch';
import { eventually } from '../helpers/scenario';
import { REPO_ROOT } from '../helpers/embedded';

/** aep.local.json: the package's images always there, the user's file on top, reloaded when it changes. */
describe('local config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aep-local-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--config FILE adds to the built-in images instead of replacing them; relative scripts resolve per file', () => {
    const file = join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify({ images: { 'acme/model:1': { command: ['python3', 'serve.py'] } }, hosting: { healthCheckTimeoutSeconds: 5 } }));
    const config = loadLocalConfig(file, REPO_ROOT);
    expect(config.images['acme/model:1'].command).toEqual(['python3', join(dir, 'serve.py')]);
    expect(config.images['local/recommender:latest'].command).toEqual(['node', join(REPO_ROOT, 'examples/recommender/container/serve.mjs')]);
    expect(config.hosting).toMatchObject({ healthCheckTimeoutSeconds: 5, stopGraceSeconds: 5 });
    expect(config.source).toBe(file);
  });

  it('without a user file: the built-in config; an explicit file that does not exist is an error', () => {
    expect(loadLocalConfig(undefined, dir)).toMatchObject({ source: BUILT_IN_CONFIG });
    expect(() => loadLocalConfig('nope.json', dir)).toThrow(/nope\.json does not exist/);
  });

  it('reloads ./aep.local.json when it changes, keeps the previous config when the edit is invalid', async () => {
    const file = join(dir, 'aep.local.json');
    writeFileSync(file, JSON.stringify({ images: {} }));
    const config = loadLocalConfig(undefined, dir);
    const lines: string[] = [];
    const stop = watchLocalConfig(config, { cwd: dir, log: (l) => lines.push(l), intervalMs: 50 });
    try {
      writeFileSync(file, JSON.stringify({ images: { 'acme/new:2': { command: ['node', 'x.mjs'] } } }));
      await eventually(async () => expect(config.images['acme/new:2']).toBeDefined());
      expect(lines.join('\n')).toMatch(/local config reloaded from .*acme\/new:2/);

      writeFileSync(file, '{ not json');
      await eventually(async () => expect(lines.join('\n')).toMatch(/NOT reloaded, the previous one stays in use: .*not valid JSON/));
      expect(config.images['acme/new:2']).toBeDefined();
    } finally {
      stop();
    }
  });
});
