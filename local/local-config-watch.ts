import { unwatchFile, watchFile } from 'node:fs';
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
  const reload = (current: { mtimeMs: number }, previous: { mtimeMs: number }) => {
    if (current.mtimeMs === previous.mtimeMs) return;
    try {
      const fresh = loadLocalConfig(options.explicitPath, cwd);
      Object.assign(config, { source: undefined }, fresh);
      options.log(`local config reloaded from ${describeLocalConfig(config)}`);
    } catch (error) {
      options.log(`local config NOT reloaded, the previous one stays in use: ${(error as Error).message}`);
    }
  };
  for (const path of paths) watchFile(path, { interval: options.intervalMs ?? 500, persistent: false }, reload);
  return () => {
    for (const path of paths) unwatchFile(path, reload);
  };
}
