import type { ExecutionRef, PipelineState } from './pipeline-state';

/**
 * When a run's milestones happened, read from the timestamps its own state carries: the audit record needs no
 * GetExecutionHistory call (nor pages of it for a run that waited days for a lock). Per-state totals are what
 * `aep status` and `aep report` show, from the history, when a person asks.
 */
export interface Milestone {
  event: 'execution started' | 'lock requested' | 'deployment started' | 'endpoint checked' | 'promotion started' | 'recorded';
  at: string;
  secondsFromStart: number;
  /** What the state says about it: attempts, the endpoint's status and how many checks it took, … */
  detail?: string;
}

export interface RunTimeline {
  /** Seconds from the execution's start to the record. */
  elapsedSeconds: number;
  /** In time order. */
  milestones: Milestone[];
}

export function runTimeline(state: Partial<PipelineState>, execution: ExecutionRef, now: Date): RunTimeline {
  const start = Date.parse(execution.startTime);
  const { lock, deployment, endpoint, promotion } = state;
  const found: Array<Omit<Milestone, 'secondsFromStart'> | undefined> = [
    { event: 'execution started', at: execution.startTime },
    lock && { event: 'lock requested', at: lock.firstAttemptAt, detail: `${lock.attempts} attempt(s)${lock.acquired ? '' : ', not acquired'}` },
    deployment && { event: 'deployment started', at: deployment.startedAt, detail: `${deployment.action}, ${deployment.strategy}` },
    promotion && { event: 'promotion started', at: promotion.startedAt, detail: `to ${promotion.toConfigName}` },
    endpoint && {
      event: 'endpoint checked',
      at: endpoint.checkedAt,
      detail: `${endpoint.endpointName} ${endpoint.status} (${endpoint.phase}) after ${endpoint.polls} check(s)`,
    },
    { event: 'recorded', at: now.toISOString() },
  ];
  const milestones = found
    .filter((m): m is Omit<Milestone, 'secondsFromStart'> => m !== undefined && !Number.isNaN(Date.parse(m.at)))
    .map((m) => ({ ...m, secondsFromStart: seconds(Date.parse(m.at) - start) }))
    .sort((a, b) => a.secondsFromStart - b.secondsFromStart);
  return { elapsedSeconds: seconds(now.getTime() - start), milestones };
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
