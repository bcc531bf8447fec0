import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_STEPS, substitutionKey } from '../../infra/step-functions';
import { functionArn, FUNCTION_NAME_PREFIX } from '../pipeline-resources';

/** The one workflow file; CDK deploys it, asl-validator checks it, this runner executes it. */
export const PIPELINE_ASL_PATH = join(__dirname, '..', '..', 'statemachines', 'deploy-async-endpoint.asl.json');

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** What the runner needs to know about a state of the definition, wherever it is nested. */
export interface StateInfo {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  InputPath?: string | null;
  Parameters?: JsonValue;
  ResultPath?: string | null;
  OutputPath?: string | null;
  ItemsPath?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Retry?: { ErrorEquals: string[]; IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number }[];
}

export interface DeployedDefinition {
  /** The definition as deployed (placeholders substituted): what DescribeStateMachine returns. */
  text: string;
  /** The same, parsed; handed to aws-local-stepfunctions. */
  document: JsonObject;
  /** Every state by name, nested ones (Map ItemProcessor) included. */
  states: Map<string, StateInfo>;
}

/**
 * The definition as the stack deploys it, with the stack's definitionSubstitutions made locally: each step of
 * infra/step-functions.ts (the list the stack deploys) becomes the function `aep-<folder>`, e.g.
 * `${ValidateInputFunctionArn}` → `arn:aws:lambda:<region>:000000000000:function:aep-validate-input`.
 */
export function loadPipelineDefinition(region: string, path = PIPELINE_ASL_PATH): DeployedDefinition {
  let text = readFileSync(path, 'utf8');
  for (const step of PIPELINE_STEPS) {
    text = text.split(`\${${substitutionKey(step)}}`).join(functionArn(region, FUNCTION_NAME_PREFIX + step.folder));
  }
  const leftover = /\$\{[^}]+\}/.exec(text);
  if (leftover) throw new Error(`${path}: placeholder ${leftover[0]} is not a step of infra/step-functions.ts`);
  const document = JSON.parse(text) as JsonObject;
  return { text, document, states: indexStates(document) };
}

export function indexStates(document: JsonObject): Map<string, StateInfo> {
  const states = new Map<string, StateInfo>();
  const visit = (machine: JsonValue | undefined) => {
    const entries = (machine as { States?: Record<string, JsonObject> } | undefined)?.States ?? {};
    for (const [name, state] of Object.entries(entries)) {
      states.set(name, state as unknown as StateInfo);
      visit(state.ItemProcessor ?? state.Iterator);
      for (const branch of (state.Branches as JsonValue[] | undefined) ?? []) visit(branch);
    }
  };
  visit(document);
  return states;
}
