import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../../infra/app';
import type { AsyncEndpointPipelineStack } from '../../infra/async-endpoint-pipeline-stack';

/** The `aep` context of the repository's cdk.json: tests synthesize the stack as `cdk synth` would. */
export function cdkJsonConfig(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  return cdkJson.context.aep;
}

export interface Synthesized {
  app: App;
  stack: AsyncEndpointPipelineStack;
  template: Template;
  /** The cloud assembly directory (assets live here); removed by `dispose`. */
  outdir: string;
  dispose(): void;
}

/**
 * Builds the app of infra/app.ts with `aep` context. `bundle: false` skips esbuild (CDK's bundling-stacks
 * context) for tests that only inspect resources and policies; `bundle: true` bundles all fourteen functions.
 */
export function synthesize(aep: Record<string, unknown>, options: { bundle: boolean }): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'aep-cdk-'));
  const context: Record<string, unknown> = { aep };
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  const { app, stack } = buildApp(new App({ outdir, context }));
  app.synth();
  return {
    app,
    stack,
    template: Template.fromStack(stack),
    outdir,
    dispose: () => fs.rmSync(outdir, { recursive: true, force: true }),
  };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

export interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}

export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of the step function whose description names the step folder (`aep <folder>: …`). */
export function functionLogicalId(template: Template, folder: string): string {
  const matches = Object.entries(resourcesOfType(template, 'AWS::Lambda::Function')).filter(([, r]) =>
    String(r.Properties.Description ?? '').startsWith(`aep ${folder}:`),
  );
  if (matches.length !== 1) throw new Error(`expected one function for step ${folder}, found ${matches.length}`);
  return matches[0][0];
}

/** Every statement of every policy attached to a role. */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement);
}

export function functionRoleLogicalId(template: Template, functionLogicalId: string): string {
  const fn = resourcesOfType(template, 'AWS::Lambda::Function')[functionLogicalId];
  return (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

export function actionsOf(statements: PolicyStatementJson[]): string[] {
  return [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
}

export function statementsWithAction(statements: PolicyStatementJson[], action: string): PolicyStatementJson[] {
  return statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));
}
