import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/step-functions';

/**
 * Definitions aws-local-stepfunctions has already validated, remembered on disk by content. Validation (asl-validator
 * compiling its JSON schemas) is most of the embedded AWS's start-up CPU, and the definition rarely changes, so a
 * start-up with a definition validated before by the same library and validator skips it. Anything else — an
 * edited file, another library version, no cache — is validated, so a bad file still fails start-up.
 */
const CACHE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'aep', 'valid-definitions');

/** In this process: validated once, whatever the disk allows. */
const validHere = new Set<string>();

export function isKnownValid(text: string): boolean {
  const key = definitionKey(text);
  return validHere.has(key) || existsSync(join(CACHE_DIR, key));
}

/** Remembers a definition the library accepted. A cache that cannot be written only costs the next start-up time. */
export function rememberValid(text: string): void {
  const key = definitionKey(text);
  validHere.add(key);
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(join(CACHE_DIR, key), '');
  } catch {
    // read-only install: validate every start
  }
}

let toolsIdentity: string | undefined;

/** The definition with the library and validator that judged it: a new version of either judges again. */
function definitionKey(text: string): string {
  toolsIdentity ??= ['aws-local-stepfunctions', 'asl-validator'].map(packageJsonText).join('\n');
  return createHash('sha256').update(toolsIdentity).update('\n').update(text).digest('hex');
}

/** The package.json of the copy the library loads (asl-validator: the one next to the library, if it has its own). */
function packageJsonText(name: string): string {
  const library = require.resolve('aws-local-stepfunctions');
  let dir = dirname(name === 'aws-local-stepfunctions' ? library : require.resolve(name, { paths: [dirname(library)] }));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return readFileSync(join(dir, 'package.json'), 'utf8');
}
