import { statSync, unwatchFile, watchFile } from 'node:fs';
import { resolve } from 'node:path';
import { BUILT_IN_CONFIG, describeLocalConfig, LOCAL_CONFIG_FILE, loadLocalConfig, type LocalConfig } from './local-config';

/**
 * Reloads aep.local.json when it changes, so mapping an image (what the "unknown image" error asks for) takes effect
 * at the next deployment without restarting the embedded AWS. The config object is updated in place — hosting reads it
 * at every deployment — and only with a file that parses: an invalid edit is reported and the previous config kept.
 * Returns the function that stops watching.
 */
export function watchLocalConfig(config: LocalConfig, options: { explicitPath?: string; cwd?: string; log: (line: string) => void; intervalMs?: number }): () => void {
  const cwd = options.cwd ?? process.cwd();
  const paths = [...new Set([BUILT_IN_CONFIG, resolve(cwd, options.explicitPath ?? LOCAL_CONFIG_FILE)])];
  // Compared with what was seen when watching began (taken now, synchronously), not with watchFile's own first stat,
  // which comes later and would swallow an edit made in between.
  const seen = new Map(paths.map((path) => [path, mtimeOf(path)]));
  const reload = (path: string, current: { mtimeMs: number }) => {
    if (current.mtimeMs === seen.get(path)) return;
    seen.set(path, current.mtimeMs);
    try {
      const fresh = loadLocalConfig(options.explicitPath, cwd);
      Object.assign(config, { source: undefined }, fresh);
      options.log(`local config reloaded from ${describeLocalConfig(config)}`);
    } catch (error) {
      options.log(`local config NOT reloaded, the previous one stays in use: ${(error as Error).message}`);
    }
  };
  const listeners = paths.map((path) => {
    const listener = (current: { mtimeMs: number }) => reload(path, current);
    watchFile(path, { interval: options.intervalMs ?? 500, persistent: false }, listener);
    return { path, listener };
  });
  return () => {
    for (const { path, listener } of listeners) unwatchFile(path, listener);
  };
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
