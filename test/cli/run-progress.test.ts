import { PassThrough } from 'node:stream';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { createProgressView, plainLine } from '../../cli/progress-view';
import { RunProgress } from '../../cli/run-progress';
import { RECORDED_HISTORY, STARTED_AT } from './fixtures/recorded-history';

const render = (progress = new RunProgress()) =>
  progress
    .apply(RECORDED_HISTORY)
    .map((note) => plainLine(note))
    .filter((line): line is string => line !== undefined);

describe('RunProgress over a recorded history', () => {
  it('renders plain timestamped lines: states with durations, polls, the failure and retry, the end', () => {
    const lines = render();
    expect(lines[0]).toBe('10:00:00.000Z  start    execution started');
    expect(lines).toContain('10:00:00.010Z  enter    ValidateInput');
    expect(lines).toContain('10:00:00.410Z  exit     ValidateInput  0.4s');
    expect(lines).toContain('10:00:00.500Z  error    CreateModel  TransientError: ThrottlingException: Rate exceeded');
    expect(lines).toContain('10:00:02.500Z  retry    CreateModel  attempt 2');
    expect(lines).toContain('10:00:02.830Z  poll     WaitEndpointPoll  #1');
    // Map iterations are indented under their Map.
    expect(lines).toContain('10:00:05.020Z  enter      SmokeInvoke');
    expect(lines.at(-1)).toBe('10:00:06.730Z  failed   BaselineMismatch: top-5 overlap 0.20 < minOverlap 0.8 (dresses-top5)');
    // Choice states are routing, not work.
    expect(lines.some((l) => l.includes('EndpointReady?'))).toBe(false);
  });

  it('counts polls and retries, and does not take two concurrent iterations of one task for a retry', () => {
    const progress = new RunProgress();
    progress.apply(RECORDED_HISTORY);
    expect(progress.polls).toBe(1);
    expect(progress.retries).toBe(1);
    expect(progress.failures).toHaveLength(1);
    expect(progress.failures[0]).toMatchObject({ state: 'CreateModel', retried: true });
    expect(progress.status).toBe('FAILED');
  });

  it('knows where the run went wrong and the last state document', () => {
    const progress = new RunProgress();
    progress.apply(RECORDED_HISTORY);
    expect(progress.failedState).toBe('GateFailed');
    expect(progress.lastStateBeforeFailurePath).toBe('GateFailed');
    expect((progress.lastState?.rollback as { actions: string[] }).actions[0]).toMatch(/restored endpoint recommender/);
  });

  it('applies each event once, however often the history is re-read', () => {
    const progress = new RunProgress();
    const first = progress.apply(RECORDED_HISTORY.slice(0, 20));
    const again = progress.apply(RECORDED_HISTORY.slice(0, 30));
    expect(first.length).toBeGreaterThan(0);
    expect(again.every((note) => note.at.getTime() >= RECORDED_HISTORY[19].timestamp!.getTime())).toBe(true);
    expect(progress.events).toHaveLength(30);
  });

  it('tracks the current state, nested in its Map', () => {
    const progress = new RunProgress();
    progress.apply(RECORDED_HISTORY.slice(0, 31));
    expect(progress.currentState).toBe('SmokeTests › SmokeInvoke');
    progress.apply(RECORDED_HISTORY.slice(0, 22));
    expect(progress.currentState).toBe('SmokeTests › SmokeInvoke');
  });
});

describe('live view', () => {
  it('keeps one line per step (a polled step once, with its visits) and redraws a status line in place', () => {
    const stream = Object.assign(new PassThrough(), { columns: 0 }); // a terminal that reports no size
    let written = '';
    stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const progress = new RunProgress();
    const view = createProgressView({ stream, live: true, color: false, progress, now: () => STARTED_AT.getTime() + 3000 });
    view.notes(progress.apply(RECORDED_HISTORY.slice(0, 23)));
    expect(written).toMatch(/\r\u001b\[2K. DescribeEndpoint \(\d+\.\ds\)  elapsed 3\.0s  polls 1  retries 1$/);
    view.notes(progress.apply(RECORDED_HISTORY));
    view.close();
    const permanent = written.split('\n').map((l) => l.replace(/^[\s\S]*\r\u001b\[2K/, ''));
    expect(permanent).toContain('✓ ValidateInput          0.4s');
    expect(permanent.filter((l) => l.includes('DescribeEndpoint'))).toEqual(['✓ DescribeEndpoint       2.2s  (2 polls)']);
    expect(permanent).toContain('retry    CreateModel  attempt 2');
    // A step's line comes when the run moves on, in order.
    expect(permanent.indexOf('✓ DescribeEndpoint       2.2s  (2 polls)')).toBeLessThan(permanent.findIndex((l) => l.startsWith('✓ SmokeTests')));
    // Once finished, no status line is redrawn below the end.
    expect(written.slice(written.lastIndexOf('failed   BaselineMismatch'))).not.toMatch(/elapsed/);
    expect(written).not.toMatch(/\u001b\[3\dm/); // no colour when colour is off
  });
});

describe('the failed state', () => {
  it('is the origin of the failure, not a step of the failure path that failed after it', () => {
    const recordFailure = RECORDED_HISTORY.findIndex((e) => e.stateEnteredEventDetails?.name === 'RecordFailure');
    const history = RECORDED_HISTORY.map((event, i) =>
      i === recordFailure + 2
        ? { ...event, type: 'LambdaFunctionFailed' as const, lambdaFunctionFailedEventDetails: { error: 'Runtime.ImportModuleError', cause: 'no handler' } }
        : event,
    );
    const progress = new RunProgress();
    progress.apply(history);
    expect(progress.failures.map((f) => [f.state, f.onFailurePath])).toEqual([['CreateModel', false], ['RecordFailure', true]]);
    expect(progress.failedState).toBe('GateFailed');
  });
});

describe('RunProgress: a failure a Catch carries on from', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, 0, ms));
  // A callback Task whose States.Timeout is caught into its re-check (WaitForOutput → CheckOutput), then the gate fails.
  const history: HistoryEvent[] = [
    { id: 1, previousEventId: 0, timestamp: at(0), type: 'ExecutionStarted', executionStartedEventDetails: {} },
    { id: 2, previousEventId: 1, timestamp: at(1), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'WaitForOutput' } },
    { id: 3, previousEventId: 2, timestamp: at(2), type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'us-east-1', parameters: '{}' } },
    { id: 4, previousEventId: 3, timestamp: at(3), type: 'TaskTimedOut', taskTimedOutEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'States.Timeout', cause: 'no callback' } },
    { id: 5, previousEventId: 4, timestamp: at(4), type: 'TaskStateExited', stateExitedEventDetails: { name: 'WaitForOutput', output: '{}' } },
    { id: 6, previousEventId: 5, timestamp: at(5), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'CheckOutput' } },
    { id: 7, previousEventId: 6, timestamp: at(6), type: 'TaskStateExited', stateExitedEventDetails: { name: 'CheckOutput', output: '{}' } },
    { id: 8, previousEventId: 7, timestamp: at(7), type: 'PassStateEntered', stateEnteredEventDetails: { name: 'GateFailed' } },
    { id: 9, previousEventId: 8, timestamp: at(8), type: 'PassStateExited', stateExitedEventDetails: { name: 'GateFailed', output: '{}' } },
    { id: 10, previousEventId: 9, timestamp: at(9), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Rollback' } },
  ];

  it('is not where the run went wrong: the timeout is recorded, carried on from, and the gate is the failed state', () => {
    const progress = new RunProgress();
    progress.apply(history);
    expect(progress.failures).toEqual([expect.objectContaining({ state: 'WaitForOutput', error: 'States.Timeout', retried: false, continued: true })]);
    expect(progress.failedState).toBe('GateFailed');
  });

  it('a failure caught straight onto the failure path stays the failed state', () => {
    const progress = new RunProgress();
    progress.apply([...history.slice(0, 5), { ...history[9], id: 6, previousEventId: 5 }]);
    expect(progress.failures).toEqual([expect.objectContaining({ state: 'WaitForOutput', continued: false })]);
    expect(progress.failedState).toBe('WaitForOutput');
  });
});
