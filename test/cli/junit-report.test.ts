import { XMLParser } from 'fast-xml-parser';
import { renderJUnit } from '../../cli/junit-report';
import type { RunReport } from '../../cli/run-report';
import { EXECUTION_ARN, SMOKE_CASES } from './fixtures/recorded-history';
import type { SmokeCaseResult } from '../../functions/lib/pipeline-state';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testcase', 'property'].includes(name) });
const cases = SMOKE_CASES as SmokeCaseResult[];

const report = (overrides: Partial<RunReport>): RunReport => ({
  executionArn: EXECUTION_ARN,
  executionName: 'run-1',
  status: 'SUCCEEDED',
  startDate: '2026-03-01T10:00:00.000Z',
  durationSeconds: 6.73,
  endpointName: 'recommender',
  cases: [],
  polls: 0,
  retries: 0,
  states: [],
  ...overrides,
});

describe('JUnit report', () => {
  it('has one testcase per smoke case, metrics as properties, a failure with the cause for a failed case', () => {
    const xml = renderJUnit(report({ status: 'FAILED', cases, error: { error: 'BaselineMismatch', cause: 'c', state: 'GateFailed' } }));
    const suite = parser.parse(xml).testsuites.testsuite;
    expect(suite).toMatchObject({ name: 'aep deploy recommender', tests: '2', failures: '1' });
    const [passed, failed] = suite.testcase;
    expect(passed).toMatchObject({ name: 'sneakers-top5', classname: 'aep.recommender', time: '0.400' });
    expect(passed.failure).toBeUndefined();
    expect(passed.properties.property).toEqual(expect.arrayContaining([{ name: 'overlap', value: '1' }, { name: 'k', value: '5' }]));
    expect(failed.failure).toMatchObject({ type: 'BaselineMismatch', message: cases[1].cause, '#text': cases[1].cause });
    expect(suite.properties.property).toEqual(expect.arrayContaining([{ name: 'executionArn', value: EXECUTION_ARN }]));
  });

  it('adds a failed "deployment" testcase when the run failed before or beside the smoke tests', () => {
    const xml = renderJUnit(report({ status: 'FAILED', error: { error: 'EndpointCreationFailed', cause: 'ping <timed out> & "gone"', state: 'DescribeEndpoint' } }));
    const suite = parser.parse(xml).testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '1', failures: '1' });
    expect(suite.testcase[0].name).toBe('deployment');
    expect(suite.testcase[0].failure.type).toBe('EndpointCreationFailed');
    expect(suite.testcase[0].failure['#text']).toBe('ping <timed out> & "gone"');
    expect(xml).toContain('ping &lt;timed out&gt; &amp; &quot;gone&quot;');
  });

  it('is a passing report for a successful run', () => {
    const suite = parser.parse(renderJUnit(report({ cases: [cases[0]] }))).testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '1', failures: '0' });
  });
});
