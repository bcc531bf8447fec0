import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A role as IAM describes it (GetRole, ListRoles). */
export interface RoleRecord {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: number;
  /** The trust policy, as JSON text. */
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  Tags: Array<{ Key: string; Value: string }>;
  /** Roles of the pipeline (the stack's, or the embedded AWS's own): listed, never deleted. */
  builtIn?: boolean;
}

/** Roles created through the embedded IAM, kept in `<dataDir>/iam/roles.json` across restarts. */
export class RoleStore {
  readonly created = new Map<string, RoleRecord>();

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      for (const role of JSON.parse(readFileSync(file, 'utf8')) as RoleRecord[]) this.created.set(role.RoleName.toLowerCase(), role);
    }
  }

  save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.created.values()], null, 1));
    renameSync(tmp, this.file);
  }
}
