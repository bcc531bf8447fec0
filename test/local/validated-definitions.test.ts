import { loadPipelineDefinition } from '../../local/stepfunctions/definition';
import { WorkflowRunner } from '../../local/stepfunctions/runner';
import { isKnownValid } from '../../local/stepfunctions/validated-definitions';
import { pipelineResources } from '../../local/pipeline-resources';

const REGION = 'us-east-1';
const resources = pipelineResources(REGION);

function runnerFor(document: Record<string, unknown>): WorkflowRunner {
  const text = JSON.stringify(document);
  return new WorkflowRunner({
    definition: { text, document: document as never, states: new Map() },
    functionFor: () => async () => '{}',
    waitScale: 1,
    roleArn: resources.stateMachineRoleArn,
  });
}

describe('definitions validated once, remembered by content', () => {
  it('remembers the pipeline definition once the library accepted it', () => {
    const definition = loadPipelineDefinition(REGION);
    new WorkflowRunner({ definition, functionFor: () => async () => '{}', waitScale: 1, roleArn: resources.stateMachineRoleArn });
    expect(isKnownValid(definition.text)).toBe(true);
  });

  it('still refuses a definition it has not seen, however many valid ones it remembers', () => {
    const valid = { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } };
    runnerFor(valid);
    expect(isKnownValid(JSON.stringify(valid))).toBe(true);
    // the same machine, one edit away: Next names a state that does not exist
    const edited = { StartAt: 'Done', States: { Done: { Type: 'Pass', Next: 'Nowhere' } } };
    expect(isKnownValid(JSON.stringify(edited))).toBe(false);
    expect(() => runnerFor(edited)).toThrow();
    expect(isKnownValid(JSON.stringify(edited))).toBe(false);
  });
});
