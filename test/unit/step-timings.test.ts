import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { stepTimings } from '../../cli/step-timings';

const t = (seconds: number) => new Date(Date.parse('2025-01-01T00:00:00.000Z') + seconds * 1000);
const entered = (name: string, at: number): HistoryEvent => ({ type: 'TaskStateEntered', id: 0, timestamp: t(at), stateEnteredEventDetails: { name } });
const exited = (name: string, at: number): HistoryEvent => ({ type: 'TaskStateExited', id: 0, timestamp: t(at), stateExitedEventDetails: { name } });

describe('stepTimings', () => {
  it('totals each state over its entries, including loops and interleaved Map iterations', () => {
    const { steps, elapsedSeconds } = stepTimings([
      { type: 'ExecutionStarted', id: 1, timestamp: t(0) },
      entered('CreateModel', 1),
      exited('CreateModel', 3),
      entered('DescribeEndpoint', 4),
      exited('DescribeEndpoint', 5),
      entered('DescribeEndpoint', 35),
      exited('DescribeEndpoint', 36.5),
      // two concurrent iterations: 40→50 and 41→45 overlap; the total is 10 + 4 whichever exit pairs with which entry
      entered('CheckOutput', 40),
      entered('CheckOutput', 41),
      exited('CheckOutput', 45),
      exited('CheckOutput', 50),
      entered('Finalize', 60),
    ]);
    expect(steps).toEqual([
      { state: 'CreateModel', entries: 1, running: 0, totalSeconds: 2, firstEnteredAt: t(1).toISOString(), lastExitedAt: t(3).toISOString() },
      { state: 'DescribeEndpoint', entries: 2, running: 0, totalSeconds: 2.5, firstEnteredAt: t(4).toISOString(), lastExitedAt: t(36.5).toISOString() },
      { state: 'CheckOutput', entries: 2, running: 0, totalSeconds: 14, firstEnteredAt: t(40).toISOString(), lastExitedAt: t(50).toISOString() },
      { state: 'Finalize', entries: 1, running: 1, totalSeconds: 0, firstEnteredAt: t(60).toISOString() },
    ]);
    expect(elapsedSeconds).toBe(60);
  });
});
