import validator from 'asl-validator';
import * as fs from 'node:fs';
import { ASL_FILE, PIPELINE_STEPS, substitutionKey } from '../../infra/step-functions';

/** The ASL file is THE workflow: valid ASL, and its placeholders are exactly the deployed steps. */
const text = fs.readFileSync(ASL_FILE, 'utf8');

function taskResources(states: Record<string, { Type: string; Resource?: string; ItemProcessor?: { States: object } }>): string[] {
  return Object.values(states).flatMap((s) => [
    ...(s.Type === 'Task' && s.Resource ? [s.Resource] : []),
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
    const resources = taskResources(JSON.parse(text).States);
    expect(resources.sort()).toEqual(PIPELINE_STEPS.map((s) => `\${${substitutionKey(s)}}`).sort());
  });

  it('gives every step a Lambda timeout no longer than its Task timeout', () => {
    const tasks = new Map<string, number>();
    const collect = (states: Record<string, { Type: string; Resource?: string; TimeoutSeconds?: number; ItemProcessor?: { States: object } }>) => {
      for (const s of Object.values(states)) {
        if (s.Type === 'Task' && s.Resource) tasks.set(s.Resource, s.TimeoutSeconds ?? Infinity);
        if (s.ItemProcessor) collect(s.ItemProcessor.States as never);
      }
    };
    collect(JSON.parse(text).States);
    for (const step of PIPELINE_STEPS) {
      expect(step.timeoutSeconds).toBeLessThanOrEqual(tasks.get(`\${${substitutionKey(step)}}`)!);
    }
  });
});
