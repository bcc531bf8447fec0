import type * as LoggerModule from '../../functions/lib/logger';
import type * as StepModule from '../../functions/lib/step';

// The logger reads its level once, when first loaded: load it with INFO (the tests' setup silences step logs).
let logger: typeof LoggerModule.logger;
let setLogSink: typeof LoggerModule.setLogSink;
let withInvocationLogger: typeof LoggerModule.withInvocationLogger;
let step: typeof StepModule.step;
jest.isolateModules(() => {
  const level = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  ({ logger, setLogSink, withInvocationLogger } = require('../../functions/lib/logger') as typeof LoggerModule);
  ({ step } = require('../../functions/lib/step') as typeof StepModule);
  process.env.POWERTOOLS_LOG_LEVEL = level;
});

/** The step handlers' logger: one child per invocation, so concurrent invocations in one process keep their own keys. */
describe('step logger', () => {
  let lines: Record<string, unknown>[];
  let previous: ReturnType<typeof setLogSink>;

  beforeEach(() => {
    lines = [];
    previous = setLogSink((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  });
  afterEach(() => {
    setLogSink(previous);
  });

  it('keeps each concurrent invocation’s step and execution id on its own lines', async () => {
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const handler = step('SmokeInvoke', async (input: { execution: { id: string } }) => {
      await tick();
      logger.warn(`working on ${input.execution.id}`);
      await tick();
      return input.execution.id;
    });
    await Promise.all(['exec-a', 'exec-b', 'exec-c'].map((id) => handler({ execution: { id } })));
    const warnings = lines.filter((l) => l.level === 'WARN');
    expect(warnings).toHaveLength(3);
    for (const line of warnings) expect(line.message).toBe(`working on ${line.executionId}`);
    expect(warnings.every((l) => l.step === 'SmokeInvoke')).toBe(true);
  });

  it('logs outside an invocation without its keys, and nothing leaks from one invocation to the next', async () => {
    await withInvocationLogger({ step: 'A', executionId: 'x' }, async () => logger.error('inside'));
    logger.error('outside');
    expect(lines.map((l) => [l.message, l.step])).toEqual([
      ['inside', 'A'],
      ['outside', undefined],
    ]);
  });
});
