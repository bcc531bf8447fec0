import { libraryDefinition } from '../../local/stepfunctions/callback-task';
import { loadPipelineDefinition } from '../../local/stepfunctions/definition';
import { StateMachine, type StateMachineDefinition } from '../../local/stepfunctions/library';

/**
 * The ASL's data flow on the shapes that broke it: zero smoke cases (a wildcard path over an empty Map result) and
 * an execution input that is not an object (where a Catch cannot add $.error). The real ASL file runs in
 * aws-local-stepfunctions with stub steps that return the shapes the real steps return, so only the ASL's own
 * paths are under test here; test/e2e covers the same cases with the real steps.
 */

const definition = loadPipelineDefinition('us-east-1');
type Stub = (input: Record<string, unknown>) => unknown;

interface Run {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  entered: string[];
  inputs: Map<string, unknown[]>;
}

const readyState = (input: Record<string, unknown>) => ({
  ...input,
  execution: { id: 'arn:exec', name: 'run-1', startTime: '2026-01-01T00:00:00Z' },
  names: { endpoint: 'ep', model: 'ep-m', endpointConfig: 'ep-c' },
  config: { smokeTests: input.smokeTests ?? [], poll: { endpointSeconds: 30, outputSeconds: 10 }, timeouts: {}, async: { invocationTimeoutSeconds: 60 } },
});

/** The endpoint check's result for a new endpoint at the gate: ready, with the cases the gate runs. */
const endpointReady = (event: Record<string, unknown>) => {
  const state = ((event.Payload as { state?: unknown } | undefined)?.state ?? event.state ?? event) as { config?: { smokeTests?: unknown[] } };
  return { ready: true, nextPollSeconds: 1, endpointName: 'ep', phase: 'gate', cases: state.config?.smokeTests ?? [] };
};

/** Stub steps, by the state that runs them (the library keys Task handlers by state name). */
function steps(overrides: Record<string, Stub> = {}): Record<string, Stub> {
  return {
    ValidateInput: (event) => readyState(event.state as Record<string, unknown>),
    AcquireLock: () => ({ acquired: true, nextPollSeconds: 1 }),
    CreateModel: () => ({ name: 'ep-m' }),
    CreateEndpointConfig: () => ({ name: 'ep-c' }),
    DeployEndpoint: () => ({ action: 'create', strategy: 'create' }),
    // the callback Tasks: the event (or the re-check) resumes them with the check's result
    WaitForEndpoint: (event) => endpointReady(event),
    WaitForOutput: () => ({ ready: true, nextPollSeconds: 1 }),
    DescribeEndpoint: (event) => endpointReady(event),
    SmokeInvoke: () => ({ inferenceId: 'i' }),
    CheckOutput: () => ({ ready: true, nextPollSeconds: 1 }),
    CompareToBaseline: (state) => ({ name: (state.case as { name: string }).name, passed: true }),
    Finalize: (state) => ({ verdict: 'passed', smoke: state.smoke }),
    Rollback: () => ({ complete: true, nextPollSeconds: 1 }),
    RecordFailure: (event) => {
      const error = (event.state as { error?: { Error: string; Cause: string } }).error;
      return { Error: error?.Error ?? 'States.Runtime', Cause: error?.Cause ?? 'no error in the state' };
    },
    ...overrides,
  };
}

async function run(input: unknown, stubs = steps()): Promise<Run> {
  const inputs = new Map<string, unknown[]>();
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [state, stub] of Object.entries(stubs)) {
    handlers[state] = async (event) => {
      inputs.set(state, [...(inputs.get(state) ?? []), event]);
      return stub(event as Record<string, unknown>);
    };
  }
  // as the runner hands it to the library (callback Tasks' timeouts are the runner's)
  const machine = new StateMachine(libraryDefinition(definition.document) as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: {} },
    context: { Execution: { Id: 'arn:exec', Name: 'run-1' }, Task: { Token: 'token' } },
  });
  const entered: string[] = [];
  const drained = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as { type: string; state?: { name: string } };
      if (e.type === 'StateEntered' && e.state) entered.push(e.state.name);
    }
  })();
  try {
    const output = await execution.result;
    await drained;
    return { status: 'SUCCEEDED', output, entered, inputs };
  } catch (error) {
    await drained;
    const failure = (error as { cause?: { name?: string; cause?: string; message?: string } }).cause ?? (error as Error);
    return { status: 'FAILED', error: failure.name, cause: (failure as { cause?: string }).cause ?? failure.message, entered, inputs };
  }
}

const smokeCase = (name: string) => ({ name, payloadUri: 's3://b/p', baseline: { uri: 's3://b/b' }, compare: { mode: 'exact' } });

describe('zero smoke cases', () => {
  it('deploy without a gate: AnySmokeCases? skips the Map, NoSmokeCases records it, Finalize runs', async () => {
    const executionInput = { modelDataUrl: 's3://m/models/ep/model.tar.gz', smokeTests: [] };
    const result = await run(executionInput);
    expect({ status: result.status, error: result.error, cause: result.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    expect(result.entered).toEqual(expect.arrayContaining(['AnySmokeCases?', 'NoSmokeCases', 'Verdict?', 'Finalize', 'Succeed']));
    expect(result.entered).not.toContain('SmokeTests');
    // Finalize gets the state and, from the context object, the execution input for the audit record.
    const finalize = result.inputs.get('Finalize')![0] as { state: { smoke: unknown }; input: unknown };
    expect(finalize.state.smoke).toEqual({ cases: [], anyFailed: false, noCases: true });
    expect(finalize.input).toEqual(executionInput);
  });

  it('one case still runs the Map and the gate (the guard does not skip real cases)', async () => {
    const result = await run({ smokeTests: [smokeCase('a')] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.entered).toEqual(expect.arrayContaining(['SmokeTests', 'CompareToBaseline', 'Verdict?', 'Finalize']));
    expect(result.entered).not.toContain('NoSmokeCases');
  });

  it('a failing case still fails the gate with BaselineMismatch and every failed cause', async () => {
    const stubs = steps({
      CompareToBaseline: (state) => {
        const name = (state.case as { name: string }).name;
        return name === 'bad' ? { name, passed: false, cause: `case ${name}: differs` } : { name, passed: true };
      },
    });
    const result = await run({ smokeTests: [smokeCase('good'), smokeCase('bad')] }, stubs);
    expect(result.entered).toEqual(expect.arrayContaining(['GateFailed', 'Rollback', 'RecordFailure', 'Fail']));
    expect({ error: result.error, cause: result.cause }).toEqual({ error: 'BaselineMismatch', cause: '["case bad: differs"]' });
  });
});

describe('an execution input that is not a JSON object', () => {
  const invalid = (event: Record<string, unknown>) => {
    const error = new Error('the execution input must be a JSON object');
    error.name = 'InvalidInput';
    throw Object.assign(error, { event });
  };

  it.each([[[1, 2, 3]], ['text'], [null], [42], [{ modelDataUrl: 7 }]])(
    '%j: ValidateInput fails, InputRejected hands RecordFailure {error, input}, the execution fails with InvalidInput',
    async (input) => {
      const result = await run(input, steps({ ValidateInput: invalid }));
      expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'InvalidInput' });
      expect(result.entered).toEqual(['ValidateInput', 'InputRejected', 'RecordFailure', 'Fail']);
      const recorded = result.inputs.get('RecordFailure')![0] as { state: { error: { Error: string }; input: unknown }; input: unknown };
      expect(recorded.state.error.Error).toBe('InvalidInput');
      expect(recorded.state.input).toEqual(input);
      expect(recorded.input).toEqual(input);
    },
  );

  it('RecordFailure failing too still ends in the original error (Fail reads $.error)', async () => {
    const stubs = steps({
      ValidateInput: invalid,
      RecordFailure: () => {
        throw Object.assign(new Error('audit bucket gone'), { name: 'AccessDenied' });
      },
    });
    const result = await run(['not', 'an', 'object'], stubs);
    expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'InvalidInput' });
  });
});
