import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One entry of a package-lock.json (lockfileVersion 3) `packages` map; the fields npm ci reads. */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface PackedPackage {
  /** The tarball's file name, next to the consumer's package.json. */
  filename: string;
  integrity: string;
  /** The package.json inside the tarball. */
  manifest: LockEntry & { name: string; version: string };
}

/**
 * A package-lock.json for an app that depends on the packed aep tarball, resolved to exactly the versions of this
 * repository's package-lock.json: `npm ci --offline` then installs it from the npm cache `npm ci` filled, with no
 * registry metadata (which `npm ci` does not cache, so `npm install --offline` could not resolve ranges) and no
 * network. The app's dependencies and aep's (peers included, as npm installs them) are looked up the way Node
 * resolves them: the nearest node_modules folder up from the dependent.
 */
export function consumerLockfile(repoRoot: string, app: { name: string; dependencies: Record<string, string> }, packed: PackedPackage): object {
  const repoLock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const aepPath = `node_modules/${packed.manifest.name}`;
  const available: Record<string, LockEntry> = {
    ...repoLock.packages,
    [aepPath]: { ...pick(packed.manifest, ['version', 'license', 'dependencies', 'peerDependencies', 'bin', 'engines']), resolved: `file:${packed.filename}`, integrity: packed.integrity },
  };
  const packages: Record<string, LockEntry> = { '': { name: app.name, dependencies: app.dependencies } };
  const pending: Array<{ name: string; from: string }> = Object.keys(app.dependencies).map((name) => ({ name, from: '' }));
  for (let next = pending.pop(); next; next = pending.pop()) {
    const path = resolveFrom(available, next.from, next.name);
    if (path === undefined) throw new Error(`${next.name} (needed by ${next.from || 'the app'}) is not in the repository's package-lock.json`);
    if (packages[path]) continue;
    packages[path] = withoutRepoFlags(available[path]);
    const entry = available[path];
    const optionalPeers = entry.peerDependenciesMeta ?? {};
    const needed = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((peer) => !optionalPeers[peer]?.optional),
    ];
    for (const name of needed) pending.push({ name, from: path });
    // Optional dependencies (platform binaries) the repository's install had are kept; the others never were there.
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      if (resolveFrom(available, path, name) !== undefined) pending.push({ name, from: path });
    }
  }
  return { name: app.name, lockfileVersion: 3, requires: true, packages };
}

/** `node_modules/a/node_modules/b` for b required from node_modules/a, else `node_modules/b`: Node's lookup. */
function resolveFrom(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
  }
}

/** Whether a package was a dev or peer dependency of aep's repository says nothing about the app. */
function withoutRepoFlags(entry: LockEntry): LockEntry {
  const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
  return rest;
}

function pick(entry: LockEntry, fields: string[]): LockEntry {
  return Object.fromEntries(fields.filter((f) => entry[f] !== undefined).map((f) => [f, entry[f]]));
}
