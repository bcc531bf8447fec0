import { statSync } from 'node:fs';
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
  // Compared with what was seen when watching began. Size too: file times tick coarsely (a few ms), so two writes
  // close together can share an mtime.
  const seen = new Map(paths.map((path) => [path, versionOf(path)]));
  const reload = (path: string, version: string) => {
    if (version === seen.get(path)) return;
    seen.set(path, version);
    try {
      const fresh = loadLocalConfig(options.explicitPath, cwd);
      Object.assign(config, { source: undefined }, fresh);
      options.log(`local config reloaded from ${describeLocalConfig(config)}`);
    } catch (error) {
      options.log(`local config NOT reloaded, the previous one stays in use: ${(error as Error).message}`);
    }
  };
  // Polled by hand rather than with fs.watchFile, whose first stat comes later and would miss an edit made before it.
  const timer = setInterval(() => {
    for (const path of paths) reload(path, versionOf(path));
  }, options.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}

function versionOf(path: string): string {
  try {
    const { mtimeMs, size } = statSync(path);
    return `${mtimeMs}:${size}`;
  } catch {
    return '0:0';
  }
}
