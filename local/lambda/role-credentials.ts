import { AsyncLocalStorage } from 'node:async_hooks';
import { useHostCredentials } from '../../functions/lib/clients';
import { sharedInstall } from '../shared-install';
import type { RoleSession } from '../iam/sessions';

/** The credentials of the step function whose handler is running, per async context (handlers run concurrently). */
const current = new AsyncLocalStorage<RoleSession>();

/**
 * Runs a handler with its function's role session: every SDK call it makes (through functions/lib/clients) is signed
 * with that session's access key, so the embedded AWS knows which role calls, as AWS knows a Lambda's role.
 */
export function runAsRole<T>(session: RoleSession | undefined, fn: () => T): T {
  return session ? current.run(session, fn) : fn();
}

/**
 * The provider functions/lib/clients gives every client while the embedded AWS runs: the current handler's session,
 * else the process's own credentials. Marked `memoized` so the SDK asks on every request instead of caching the
 * first answer for all handlers.
 */
const provider = Object.assign(
  async () => {
    const session = current.getStore();
    if (session) {
      return { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken, expiration: session.expiration };
    }
    return { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'aep-local', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'aep-local' };
  },
  { memoized: true },
);

/** Installs the per-handler credentials provider; returns the function that removes it once no embedded AWS needs it. */
export const installRoleCredentials = sharedInstall(useHostCredentials, provider);
