import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The per-start token of the embedded AWS's admin routes (`/_aep/…`, see request-guard.ts). A new one each start,
 * kept where the processes of this user can read it and nobody else: `<data dir>/admin-token`, mode 0600.
 */
export const ADMIN_TOKEN_FILE = 'admin-token';

export function newAdminToken(): string {
  return randomBytes(24).toString('base64url');
}

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

export function writeAdminToken(dataDir: string, token: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = adminTokenPath(dataDir);
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** The token of the embedded AWS running on `dataDir`, for a client in another process (the CLI, a script). */
export function readAdminToken(dataDir: string): string {
  return readFileSync(adminTokenPath(dataDir), 'utf8').trim();
}
