import { randomBytes } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from '../service';

/** Temporary credentials of a role, as STS hands them out (`ASIA…` access key, secret, session token). */
export interface RoleSession {
  roleArn: string;
  roleName: string;
  sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`: the principal AWS names in an AccessDenied message. */
  principalArn: string;
  /** `AROA…:<session>`, the aws:userid of the session. */
  userId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const base32 = (bytes: Buffer) => [...bytes].map((b) => BASE32[b % 32]).join('');

/** `arn:aws:iam::000000000000:role/path/name` → `name` (the last path segment). */
export const roleNameOf = (roleArn: string) => roleArn.split(':role/').pop()!.split('/').pop()!;

/** IAM's unique id of a role (`AROA…`), stable per role name so aws:userid does not change between sessions. */
export const roleIdOf = (roleName: string) => `AROA${base32(Buffer.from(roleName.padEnd(17, '\0').slice(0, 17)))}`;

/**
 * The role sessions the embedded AWS issued: AssumeRole's, each step function's and each model container's. A request
 * signed with one of their access keys is a call by that role, so IAM can evaluate it against the role's policies;
 * any other access key (a user's `test`/`test`) is not a known principal and is not evaluated.
 */
export class SessionRegistry {
  private readonly byKey = new Map<string, RoleSession>();

  issue(roleArn: string, sessionName: string, durationSeconds = 3600): RoleSession {
    const roleName = roleNameOf(roleArn);
    const session: RoleSession = {
      roleArn,
      roleName,
      sessionName,
      principalArn: `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleIdOf(roleName)}:${sessionName}`,
      accessKeyId: `ASIA${base32(randomBytes(16))}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      expiration: new Date(Date.now() + durationSeconds * 1000),
    };
    this.byKey.set(session.accessKeyId, session);
    return session;
  }

  /** The session an access key belongs to, while it has not expired. */
  find(accessKeyId: string | undefined): RoleSession | undefined {
    const session = accessKeyId === undefined ? undefined : this.byKey.get(accessKeyId);
    if (session && session.expiration.getTime() <= Date.now()) {
      this.byKey.delete(session.accessKeyId);
      return undefined;
    }
    return session;
  }
}

/** The environment variables that give a process (a model container) a session's credentials. */
export function sessionEnvironment(session: RoleSession): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: session.accessKeyId,
    AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
    AWS_SESSION_TOKEN: session.sessionToken,
  };
}
