import { join } from 'node:path';
import { AwsError } from '../aws-error';
import { queryList, queryService, requiredParam, type QueryParams } from '../protocols/query';
import type { XmlElement } from '../protocols/xml';
import { LOCAL_ACCOUNT_ID, type ServiceModule } from '../service';
import { RoleStore, type RoleRecord } from './role-store';
import { roleIdOf } from './sessions';

const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export interface IamServiceOptions {
  dataDir: string;
  /** The pipeline's roles (the stack's when its template is loaded), listed before any created ones. */
  builtInRoles: () => RoleRecord[];
}

/** The embedded IAM's roles, for STS AssumeRole. */
export interface IamService extends ServiceModule {
  role(arnOrName: string): RoleRecord | undefined;
}

const noSuchRole = (name: string) => new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);

/** A trust policy for a role of the pipeline, as CDK writes them. */
export function builtInRole(name: string, servicePrincipal: string, description?: string, trustPolicy?: unknown): RoleRecord {
  return {
    RoleName: name,
    RoleId: roleIdOf(name),
    Arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}`,
    Path: '/',
    CreateDate: 0,
    AssumeRolePolicyDocument: JSON.stringify(
      trustPolicy ?? { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: servicePrincipal }, Action: 'sts:AssumeRole' }] },
    ),
    Description: description,
    MaxSessionDuration: 3600,
    Tags: [],
    builtIn: true,
  };
}

/**
 * The embedded IAM (Query protocol, signing name `iam`): enough roles for the scripts that look the SageMaker
 * execution role up — GetRole, ListRoles (PathPrefix, Marker/MaxItems), CreateRole, DeleteRole — with IAM's
 * errors. The trust policy is returned URL-encoded, as IAM does (the CLI and boto3 decode it).
 */
export function createIamService(options: IamServiceOptions): IamService {
  const store = new RoleStore(join(options.dataDir, 'iam', 'roles.json'));
  const startedAt = Date.now();
  const all = () => {
    const builtIn = options.builtInRoles();
    const names = new Set(builtIn.map((r) => r.RoleName.toLowerCase()));
    return [...builtIn, ...[...store.created.values()].filter((r) => !names.has(r.RoleName.toLowerCase()))];
  };
  const find = (name: string) => all().find((r) => r.RoleName.toLowerCase() === name.toLowerCase());
  const shape = (r: RoleRecord): XmlElement => ({
    Path: r.Path,
    RoleName: r.RoleName,
    RoleId: r.RoleId,
    Arn: r.Arn,
    CreateDate: new Date(r.builtIn ? startedAt : r.CreateDate),
    AssumeRolePolicyDocument: encodeURIComponent(r.AssumeRolePolicyDocument),
    Description: r.Description,
    MaxSessionDuration: r.MaxSessionDuration,
    Tags: r.Tags.length ? { member: r.Tags } : undefined,
  });

  const module = queryService({
    name: 'iam',
    signingName: 'iam',
    xmlns: IAM_XMLNS,
    operations: {
      GetRole(params: QueryParams): XmlElement {
        const name = requiredParam(params, 'RoleName');
        const role = find(name);
        if (!role) throw noSuchRole(name);
        return { Role: shape(role) };
      },
      ListRoles(params: QueryParams): XmlElement {
        const prefix = params.PathPrefix ?? '/';
        const roles = all().filter((r) => r.Path.startsWith(prefix));
        const start = params.Marker === undefined ? 0 : Number(params.Marker);
        const max = params.MaxItems === undefined ? 100 : Number(params.MaxItems);
        if (!Number.isInteger(start) || start < 0) throw new AwsError('ValidationError', 'Invalid Marker.', 400);
        if (!Number.isInteger(max) || max < 1 || max > 1000) {
          throw new AwsError('ValidationError', `1 validation error detected: Value '${params.MaxItems}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`, 400);
        }
        const page = roles.slice(start, start + max);
        const truncated = start + max < roles.length;
        return { Roles: { member: page.map(shape) }, IsTruncated: truncated, Marker: truncated ? String(start + max) : undefined };
      },
      CreateRole(params: QueryParams): XmlElement {
        const name = requiredParam(params, 'RoleName');
        const document = requiredParam(params, 'AssumeRolePolicyDocument');
        if (!/^[\w+=,.@-]{1,64}$/.test(name)) {
          throw new AwsError('ValidationError', `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`, 400);
        }
        const path = params.Path ?? '/';
        if (!/^\/([\x21-\x7e]*\/)?$/.test(path) || path.length > 512) {
          throw new AwsError('ValidationError', 'The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.', 400);
        }
        try {
          JSON.parse(document);
        } catch {
          throw new AwsError('MalformedPolicyDocument', 'This policy contains invalid Json', 400);
        }
        if (find(name)) throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
        const role: RoleRecord = {
          RoleName: name,
          RoleId: roleIdOf(name),
          Arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role${path}${name}`,
          Path: path,
          CreateDate: Date.now(),
          AssumeRolePolicyDocument: document,
          Description: params.Description,
          MaxSessionDuration: params.MaxSessionDuration === undefined ? 3600 : Number(params.MaxSessionDuration),
          Tags: queryList(params, 'Tags.member').map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })),
        };
        store.created.set(name.toLowerCase(), role);
        store.save();
        return { Role: shape(role) };
      },
      DeleteRole(params: QueryParams): undefined {
        const name = requiredParam(params, 'RoleName');
        const role = find(name);
        if (!role) throw noSuchRole(name);
        if (role.builtIn) {
          throw new AwsError('UnmodifiableEntity', `Cannot perform the operation on the protected role '${role.RoleName}' - this role is managed by the aep pipeline stack`, 400);
        }
        store.created.delete(name.toLowerCase());
        store.save();
        return undefined;
      },
    },
  });
  return Object.assign(module, {
    role: (arnOrName: string) => find(arnOrName.startsWith('arn:') ? arnOrName.split('/').pop()! : arnOrName),
  });
}
