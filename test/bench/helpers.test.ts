import { billExecution } from '../../bench/billing';
import { deploymentPrice } from '../../bench/prices';
import { jestTestsLine } from '../../bench/npm-test';
import { atLeast, atMost, figure } from '../../bench/figures';
import { median, percentile, ratio } from '../../bench/stats';
import { formatTable } from '../../bench/table';

describe('stats', () => {
  test('median of odd and even samples, order-independent', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  test('percentiles interpolate between ranks like numpy', () => {
    const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(oneToHundred, 50)).toBe(50.5);
    expect(percentile(oneToHundred, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile(oneToHundred, 100)).toBe(100);
  });

  test('an empty sample and a zero denominator are errors, not NaN or Infinity', () => {
    expect(() => median([])).toThrow(/empty sample/);
    expect(() => ratio(1, 0)).toThrow(/non-positive denominator/);
    expect(ratio(3, 4)).toBe(0.75);
  });
});

describe('figures and table', () => {
  test('a goal is met or not, at the boundary included', () => {
    expect(figure('x.ratio', 'm', 'ratio', 1.25, '', atMost(1.25)).met).toBe(true);
    expect(figure('x.ratio', 'm', 'ratio', 1.2501, '', atMost(1.25)).met).toBe(false);
    expect(figure('x.throughput', 'm', 'throughput ratio', 0.49, '', atLeast(0.5)).met).toBe(false);
    expect(figure('x.p50', 'm', 'p50', 12.3456, 'ms')).toEqual({ id: 'x.p50', measurement: 'm', name: 'p50', value: 12.346, unit: 'ms' });
  });

  test('the table aligns columns and shows goals and verdicts', () => {
    const table = formatTable([
      figure('async.ratio', 'throughput', 'async ÷ direct', 0.61, '', atLeast(0.5)),
      figure('transitions.x', 'cloud-cost', 'state transitions', 75, '', atMost(60)),
      figure('scale.rss', 'scale', 'peak RSS', 1234.5, 'MiB'),
    ]);
    expect(table.split('\n')).toEqual([
      '| Id            | Figure            | Value       | Goal  | Met     |',
      '|---------------|-------------------|-------------|-------|---------|',
      '| async.ratio   | async ÷ direct    | 0.61        | ≥ 0.5 | met     |',
      '| transitions.x | state transitions | 75          | ≤ 60  | NOT MET |',
      '| scale.rss     | peak RSS          | 1,234.5 MiB |       |         |',
    ]);
  });
});

describe('billing from an execution history', () => {
  const entered = (type: string, name: string) => ({ type: `${type}StateEntered`, stateEnteredEventDetails: { name } });
  const history = [
    { type: 'ExecutionStarted' },
    entered('Task', 'DescribeEndpoint'),
    { type: 'LambdaFunctionScheduled' },
    { type: 'LambdaFunctionFailed' },
    { type: 'LambdaFunctionScheduled' },
    { type: 'LambdaFunctionSucceeded' },
    { type: 'TaskStateExited' },
    entered('Choice', 'EndpointReady?'),
    entered('Wait', 'WaitEndpointPoll'),
    entered('Task', 'DescribeEndpoint'),
    { type: 'LambdaFunctionScheduled' },
    entered('Map', 'SmokeTests'),
    { type: 'MapIterationStarted' },
    entered('Pass', 'WaitForOutput'),
    entered('Succeed', 'Succeed'),
    { type: 'ExecutionSucceeded' },
  ];

  test('every state entered is a transition, and so is every retry of a Lambda task', () => {
    expect(billExecution(history)).toEqual({
      stateTransitions: 8,
      lambdaInvocations: 3,
      retries: 1,
      entriesByState: { DescribeEndpoint: 2, 'EndpointReady?': 1, WaitEndpointPoll: 1, SmokeTests: 1, WaitForOutput: 1, Succeed: 1 },
    });
  });

  test('an empty history costs nothing', () => {
    expect(billExecution([])).toEqual({ stateTransitions: 0, lambdaInvocations: 0, retries: 0, entriesByState: {} });
  });
});

describe('npm-test summary', () => {
  test("reads jest's count line, failed first or all passed, the last one when several", () => {
    expect(jestTestsLine('Test Suites: 1 failed, 60 passed, 61 total\nTests:       2 failed, 450 passed, 452 total\nSnapshots:   0 total\n')).toBe('2 failed, 450 passed, 452 total');
    expect(jestTestsLine('Tests:       3 passed, 3 total\n…\nTests:       452 passed, 452 total\nTime: 1 s')).toBe('452 passed, 452 total');
    expect(jestTestsLine('cdk synth: nothing to say')).toBeUndefined();
  });
});

describe('deploymentPrice', () => {
  const usage = { transitions: 0, lambdaInvocations: 0, lambdaMs: 0, historyBytes: 0 };
  test("S3 requests at S3's prices: PUT/COPY/LIST $0.005 per 1,000, GET/HEAD $0.0004, DELETE free", () => {
    const price = deploymentPrice({ ...usage, s3Calls: { PutObject: 1000, CopyObject: 1000, ListObjectsV2: 1000, GetObject: 1000, HeadObject: 1000, DeleteObject: 1000 } });
    expect(price.s3RequestsUsd).toBeCloseTo(3 * 0.005 + 2 * 0.0004, 12);
    expect(price.totalUsd).toBeCloseTo(price.s3RequestsUsd, 12);
  });

  test('Step Functions transitions and Lambda requests add up with them', () => {
    const price = deploymentPrice({ ...usage, transitions: 1000, lambdaInvocations: 1_000_000, s3Calls: {} });
    expect(price.stepFunctionsUsd).toBeCloseTo(0.025, 12);
    expect(price.lambdaRequestsUsd).toBeCloseTo(0.2, 12);
    expect(price.s3RequestsUsd).toBe(0);
  });
});
