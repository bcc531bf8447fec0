import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preloadStepHandlers } from '../../local/lambda/step-function';
import { eventually } from '../helpers/scenario';

/** Each fake step's handler.js records that it was loaded in this global. */
const loaded = (globalThis as { __aepPreloaded?: string[] }).__aepPreloaded ?? [];
(globalThis as { __aepPreloaded?: string[] }).__aepPreloaded = loaded;

let dir: string;

function step(name: string, body = `globalThis.__aepPreloaded.push(${JSON.stringify(name)}); exports.handler = async () => ({});`): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, 'handler.js'), body);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aep-preload-'));
  loaded.length = 0;
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('loads every step’s handler, past one that does not load', async () => {
  step('first');
  step('broken', 'throw new Error("syntax of a broken deployment package");');
  step('last');
  preloadStepHandlers(['first', 'broken', 'missing', 'last'], dir);
  await eventually(async () => expect(loaded).toEqual(['first', 'last']));
});

test('loads nothing more once stopped', async () => {
  step('a');
  step('b');
  step('later');
  const stop = preloadStepHandlers(['a', 'b'], dir);
  stop();
  // a preload started after the stop is served after anything the stopped one had queued
  preloadStepHandlers(['later'], dir);
  await eventually(async () => expect(loaded).toContain('later'));
  expect(loaded).toEqual(['later']);
});
