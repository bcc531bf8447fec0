import validator from 'asl-validator';
import * as fs from 'node:fs';
import { ASL_FILE, PIPELINE_STEPS, substitutionKey } from '../../infra/step-functions';

/** The ASL file is THE workflow: valid ASL, and its placeholders are exactly the deployed steps. */
const text = fs.readFileSync(ASL_FILE, 'utf8');

type TaskState = { Type: string; Resource?: string; Parameters?: { FunctionName?: string }; TimeoutSeconds?: number; ItemProcessor?: { States: object } };

/** The function a Task runs: its Resource, or for a callback Task (lambda:invoke.waitForTaskToken) its FunctionName. */
const functionOf = (s: TaskState) => (s.Resource?.endsWith(':lambda:invoke.waitForTaskToken') ? s.Parameters?.FunctionName : s.Resource);

function taskResources(states: Record<string, TaskState>): string[] {
  return Object.values(states).flatMap((s) => [
    ...(s.Type === 'Task' && functionOf(s) ? [functionOf(s)!] : []),
    ...(s.ItemProcessor ? taskResources(s.ItemProcessor.States as never) : []),
  ]);
}

describe('statemachines/deploy-async-endpoint.asl.json', () => {
  it('is valid Amazon States Language (asl-validator, paths and ARNs checked)', () => {
    const result = validator(JSON.parse(text), { checkPaths: true, checkArn: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('rejects a broken definition, so the check above can fail', () => {
    const broken = JSON.parse(text);
    broken.States.ValidateInput.Next = 'NoSuchState';
    expect(validator(broken).isValid).toBe(false);
  });

  it('has one ${<Step>FunctionArn} placeholder per pipeline step, and nothing else to substitute', () => {
    const placeholders = [...new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]))].sort();
    expect(placeholders).toEqual(PIPELINE_STEPS.map(substitutionKey).sort());
  });

  it('names every Task by its placeholder: each step runs as a Lambda of its own', () => {
    const resources = [...new Set(taskResources(JSON.parse(text).States))];
    expect(resources.sort()).toEqual(PIPELINE_STEPS.map((s) => `\${${substitutionKey(s)}}`).sort());
  });

  it('gives every step a Lambda timeout no longer than its Task timeout', () => {
    const tasks = new Map<string, number>();
    const collect = (states: Record<string, TaskState>) => {
      for (const s of Object.values(states)) {
        if (s.Type === 'Task' && functionOf(s)) tasks.set(functionOf(s)!, s.TimeoutSeconds ?? Infinity);
        if (s.ItemProcessor) collect(s.ItemProcessor.States as never);
      }
    };
    collect(JSON.parse(text).States);
    for (const step of PIPELINE_STEPS) {
      expect(step.timeoutSeconds).toBeLessThanOrEqual(tasks.get(`\${${substitutionKey(step)}}`)!);
    }
  });
});
