import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { FUNCTION_NAME_PREFIX, functionArn, roleArn, type PipelineResources } from '../pipeline-resources';
import { LOCAL_ACCOUNT_ID } from '../service';
import { resolveIntrinsics, UnresolvableTemplateValue } from './cfn-intrinsics';

export interface PolicyDocument {
  Version?: string;
  Statement: unknown[] | Record<string, unknown>;
}

/** A role of the synthesized stack, with the local name it has in the embedded AWS. */
export interface StackRole {
  name: string;
  arn: string;
  /** The role's logical id in the template, so a person can find it in infra/ and cdk.out. */
  logicalId: string;
  description?: string;
  trustPolicy: PolicyDocument;
  /** Identity policies: the template's AWS::IAM::Policy resources attached to the role and its inline Policies. */
  policies: Array<{ name: string; document: PolicyDocument }>;
}

/** The IAM of a synthesized stack, resolved against the embedded AWS's names. */
export interface StackIam {
  source: string;
  roles: Map<string, StackRole>;
  /** Step folder (`create-model`) → the name of its function's role. */
  stepRoles: Map<string, string>;
  /** Resource ARN (bucket, topic, KMS key) → its resource policy. */
  resourcePolicies: Map<string, PolicyDocument>;
  /** Topic ARN → the ARN of the KMS key that encrypts it (publishers need kms:GenerateDataKey and kms:Decrypt). */
  topicKeys: Map<string, string>;
  /** The stack's NAME_PREFIX, which its SageMaker ARN patterns are scoped to. */
  namePrefix: string;
  /** The stack's REFERENCE_ENDPOINTS (a JSON array), which its InvokeEndpoint grant is scoped to; absent in older templates. */
  referenceEndpoints?: string;
}

export class StackTemplateError extends Error {
  override readonly name = 'StackTemplateError';
}

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Template = { Resources?: Record<string, Resource> };

/** The local name of a step's role: `aep-<step>-role`, next to its function `aep-<step>`. */
export const stepRoleName = (step: string) => `${FUNCTION_NAME_PREFIX}${step}-role`;

/** Reads a synthesized template (`cdk.out/AepPipeline.template.json`) and binds it to the embedded AWS's resources. */
export function loadStackIam(templatePath: string, names: PipelineResources, functionEnvironment: Record<string, string>): StackIam {
  if (!existsSync(templatePath)) throw new StackTemplateError(`No synthesized template at ${templatePath}: run \`npm run synth\` first`);
  let template: Template;
  try {
    template = JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
  } catch (error) {
    throw new StackTemplateError(`${templatePath} is not a CloudFormation template: ${(error as Error).message}`);
  }
  try {
    return stackIam(template, names, functionEnvironment, templatePath);
  } catch (error) {
    if (error instanceof UnresolvableTemplateValue) throw new StackTemplateError(`${templatePath}: ${error.message}`);
    throw error;
  }
}

/**
 * Binds the template's logical ids to the embedded AWS's names: each step function's environment in the template
 * (`MODELS_BUCKET: {Ref: …Bucket}`, `PIPELINE_ID: "AepPipeline-…"`) is matched with the environment the embedded
 * AWS gives the same function, so policies naming those resources name the local ones; the state machine's name
 * becomes the local state machine's.
 */
export function stackIam(template: Template, names: PipelineResources, functionEnvironment: Record<string, string>, source = 'template'): StackIam {
  const resources = template.Resources ?? {};
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const props = (r: Resource) => r.Properties ?? {};
  const region = names.region;

  const boundNames = new Map<string, string>(); // logical id → local name or ARN (as the local environment has it)
  const literals = new Map<string, string>(); // template literal → local literal (the pipeline id)
  const stepRoles = new Map<string, string>();
  const roleNames = new Map<string, string>(); // role logical id → local role name
  const functionNames = new Map<string, string>();
  let namePrefix = '';
  let referenceEndpoints: string | undefined;

  for (const [id, fn] of ofType('AWS::Lambda::Function')) {
    const step = /^aep ([a-z0-9-]+):/.exec(String(props(fn).Description ?? ''))?.[1];
    if (!step) continue;
    functionNames.set(id, `${FUNCTION_NAME_PREFIX}${step}`);
    const roleId = logicalIdOf(props(fn).Role);
    if (roleId) {
      roleNames.set(roleId, stepRoleName(step));
      stepRoles.set(step, stepRoleName(step));
    }
    const variables = ((props(fn).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    for (const [variable, value] of Object.entries(variables)) {
      const local = functionEnvironment[variable];
      if (variable === 'NAME_PREFIX' && typeof value === 'string') namePrefix = value;
      if (variable === 'REFERENCE_ENDPOINTS' && typeof value === 'string') referenceEndpoints = value;
      if (local === undefined) continue;
      const id = logicalIdOf(value);
      if (id) boundNames.set(id, local);
      else if (typeof value === 'string' && value !== '' && value !== local && variable === 'PIPELINE_ID') literals.set(value, local);
    }
  }
  for (const [id, sm] of ofType('AWS::StepFunctions::StateMachine')) {
    boundNames.set(id, names.stateMachineArn);
    const roleId = logicalIdOf(props(sm).RoleArn);
    if (roleId) roleNames.set(roleId, roleNameFromArn(names.stateMachineRoleArn));
    const name = props(sm).StateMachineName;
    if (typeof name === 'string') literals.set(`:stateMachine:${name}`, `:stateMachine:${stateMachineName(names)}`).set(`:execution:${name}:`, `:execution:${stateMachineName(names)}:`);
  }
  for (const [id, value] of boundNames) {
    if (resources[id]?.Type === 'AWS::IAM::Role') roleNames.set(id, roleNameFromArn(value));
  }

  const keyId = (id: string) => {
    const h = createHash('sha256').update(id).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  };
  const reference = (id: string, attribute?: string): string => {
    switch (id) {
      case 'AWS::Partition': return 'aws';
      case 'AWS::Region': return region;
      case 'AWS::AccountId': return LOCAL_ACCOUNT_ID;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return 'AepPipeline';
      case 'AWS::NoValue': return '';
    }
    const type = resources[id]?.Type;
    const bound = boundNames.get(id);
    switch (type) {
      case 'AWS::S3::Bucket': {
        const name = bound ?? id.toLowerCase();
        return attribute === 'Arn' ? `arn:aws:s3:::${name}` : attribute ? `${name}.s3.${region}.amazonaws.com` : name;
      }
      case 'AWS::SNS::Topic': {
        const arn = bound ?? `arn:aws:sns:${region}:${LOCAL_ACCOUNT_ID}:${id}`;
        return attribute === 'TopicName' ? arn.split(':').pop()! : arn;
      }
      case 'AWS::IAM::Role': {
        const name = roleNames.get(id) ?? id;
        return attribute === 'Arn' ? roleArn(name) : name;
      }
      case 'AWS::Lambda::Function': {
        const name = functionNames.get(id) ?? id;
        return attribute === 'Arn' ? functionArn(region, name) : name;
      }
      case 'AWS::KMS::Key':
        return attribute === 'Arn' ? `arn:aws:kms:${region}:${LOCAL_ACCOUNT_ID}:key/${keyId(id)}` : keyId(id);
      case 'AWS::StepFunctions::StateMachine':
        return attribute === 'Name' ? stateMachineName(names) : names.stateMachineArn;
      case 'AWS::Logs::LogGroup':
        return attribute === 'Arn' ? `arn:aws:logs:${region}:${LOCAL_ACCOUNT_ID}:log-group:${id}:*` : id;
      case 'AWS::SQS::Queue':
        return attribute === 'Arn' ? `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${id}` : `http://sqs.${region}.localhost/${LOCAL_ACCOUNT_ID}/${id}`;
      case undefined:
        throw new UnresolvableTemplateValue(`Ref/GetAtt of ${id}, which is not a resource of the template`);
      default:
        return bound ?? (attribute ? `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT_ID}:${id}/${attribute}` : id);
    }
  };
  const resolve = <T>(value: unknown): T => replaceLiterals(resolveIntrinsics(value, reference), literals) as T;

  const roles = new Map<string, StackRole>();
  for (const [id, role] of ofType('AWS::IAM::Role')) {
    const name = roleNames.get(id) ?? id;
    const inline = (props(role).Policies as Array<{ PolicyName: string; PolicyDocument: unknown }> | undefined) ?? [];
    roles.set(name, {
      name,
      arn: roleArn(name),
      logicalId: id,
      description: typeof props(role).Description === 'string' ? String(props(role).Description) : undefined,
      trustPolicy: resolve<PolicyDocument>(props(role).AssumeRolePolicyDocument ?? { Statement: [] }),
      policies: inline.map((p) => ({ name: p.PolicyName, document: resolve<PolicyDocument>(p.PolicyDocument) })),
    });
  }
  for (const [id, policy] of ofType('AWS::IAM::Policy')) {
    const attached = (props(policy).Roles as unknown[] | undefined) ?? [];
    for (const ref of attached) {
      const role = roles.get(roleNames.get(logicalIdOf(ref) ?? '') ?? logicalIdOf(ref) ?? '');
      role?.policies.push({ name: String(props(policy).PolicyName ?? id), document: resolve<PolicyDocument>(props(policy).PolicyDocument) });
    }
  }

  const resourcePolicies = new Map<string, PolicyDocument>();
  const addResourcePolicy = (arn: string, document: PolicyDocument) => {
    const existing = resourcePolicies.get(arn);
    resourcePolicies.set(arn, existing ? { ...existing, Statement: [...statements(existing), ...statements(document)] } : document);
  };
  for (const [, bp] of ofType('AWS::S3::BucketPolicy')) {
    addResourcePolicy(`arn:aws:s3:::${resolve<string>(props(bp).Bucket)}`, resolve<PolicyDocument>(props(bp).PolicyDocument));
  }
  for (const [, tp] of ofType('AWS::SNS::TopicPolicy')) {
    for (const topic of resolve<string[]>(props(tp).Topics ?? [])) addResourcePolicy(topic, resolve<PolicyDocument>(props(tp).PolicyDocument));
  }
  for (const [id, key] of ofType('AWS::KMS::Key')) {
    if (props(key).KeyPolicy) addResourcePolicy(reference(id, 'Arn'), resolve<PolicyDocument>(props(key).KeyPolicy));
  }
  const topicKeys = new Map<string, string>();
  for (const [id, topic] of ofType('AWS::SNS::Topic')) {
    const keyRef = props(topic).KmsMasterKeyId;
    if (keyRef === undefined) continue;
    const keyId = logicalIdOf(keyRef);
    topicKeys.set(reference(id), keyId && resources[keyId]?.Type === 'AWS::KMS::Key' ? reference(keyId, 'Arn') : resolve<string>(keyRef));
  }

  return { source, roles, stepRoles, resourcePolicies, topicKeys, namePrefix, referenceEndpoints };
}

export function statements(document: PolicyDocument): unknown[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

function stateMachineName(names: PipelineResources): string {
  return names.stateMachineArn.split(':').pop()!;
}

function roleNameFromArn(arn: string): string {
  return arn.split('/').pop()!;
}

/** `{Ref: X}` / `{"Fn::GetAtt": [X, …]}` → X. */
function logicalIdOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** The pipeline id equals the template's wherever it is a whole value; the state machine's name inside ARNs. */
function replaceLiterals(value: unknown, literals: Map<string, string>): unknown {
  if (typeof value === 'string') {
    const exact = literals.get(value);
    if (exact !== undefined) return exact;
    let text = value;
    for (const [from, to] of literals) if (from.startsWith(':')) text = text.split(from).join(to);
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => replaceLiterals(v, literals));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceLiterals(v, literals)]));
  }
  return value;
}
