import type { HistoryEvent } from '@aws-sdk/client-sfn';

/**
 * What an execution's history says so far, built one event at a time: the states entered and left, the polls,
 * retries and failures, and the last state document. It is fed the events of GetExecutionHistory in order, and
 * turns them into notes a view renders (plain lines or a live view); it never calls AWS itself.
 */

/** The workflow's failure path (DESIGN.md): states entered only once something went wrong. */
export const FAILURE_PATH_STATES = new Set(['Rollback', 'RecordFailure']);

export type StateKind = 'Task' | 'Choice' | 'Wait' | 'Pass' | 'Map' | 'Parallel' | 'Succeed' | 'Fail';

export type Note =
  | { kind: 'started'; at: Date; executionName?: string }
  | { kind: 'entered'; at: Date; state: string; stateKind: StateKind; depth: number }
  | { kind: 'exited'; at: Date; state: string; stateKind: StateKind; depth: number; durationMs: number; failed: boolean }
  | { kind: 'poll'; at: Date; state: string; polls: number; depth: number }
  | { kind: 'taskFailed'; at: Date; state: string; error: string; cause: string; depth: number }
  | { kind: 'retry'; at: Date; state: string; attempt: number; depth: number }
  | { kind: 'finished'; at: Date; status: ExecutionEndStatus; error?: string; cause?: string };

export type ExecutionEndStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface StateVisit {
  /** The id of its …StateEntered event. */
  entryId: number;
  state: string;
  stateKind: StateKind;
  depth: number;
  enteredAt: Date;
  exitedAt?: Date;
}

export interface TaskFailure {
  state: string;
  error: string;
  cause: string;
  at: Date;
  /** True when the task was scheduled again afterwards (a Retry rule caught it). */
  retried: boolean;
  /** True when it happened on the failure path (Rollback, RecordFailure): a consequence, not the origin. */
  onFailurePath: boolean;
  /**
   * True when a Catch carried the run on to a state outside the failure path: a callback Task's States.Timeout
   * caught into its re-check (WaitForOutput → CheckOutput) is the safety net working, not where the run went wrong.
   */
  continued: boolean;
  visit: StateVisit;
}

const ENTERED = /^(Task|Choice|Wait|Pass|Map|Parallel|Succeed|Fail)StateEntered$/;
const EXITED = /^(Task|Choice|Wait|Pass|Map|Parallel|Succeed)StateExited$/;
const SCHEDULED = new Set(['LambdaFunctionScheduled', 'TaskScheduled', 'ActivityScheduled']);
const TASK_FAILED = new Set([
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionScheduleFailed',
  'LambdaFunctionStartFailed',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'ActivityFailed',
  'ActivityTimedOut',
]);
const EXECUTION_END: Record<string, ExecutionEndStatus> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

export class RunProgress {
  startedAt?: Date;
  finishedAt?: Date;
  status: ExecutionEndStatus | 'RUNNING' = 'RUNNING';
  executionError?: { error?: string; cause?: string };
  /** Wait states entered: every poll of the lock, the endpoint, an output or a rollback. */
  polls = 0;
  retries = 0;
  readonly visits: StateVisit[] = [];
  /** Every event applied, oldest first. */
  readonly events: HistoryEvent[] = [];
  readonly failures: TaskFailure[] = [];
  /** The last state document a top-level state passed on (its output), parsed. */
  lastState?: Record<string, unknown>;
  /** The last top-level state left before the failure path began: where the run went wrong. */
  lastStateBeforeFailurePath?: string;

  private readonly open: StateVisit[] = [];
  /** Event id → the state visit it belongs to. */
  private readonly visitOfEvent = new Map<number, StateVisit>();
  /** Task attempts per visit: a second schedule within one visit is a retry. */
  private readonly attempts = new Map<StateVisit, number>();
  private lastSeenId = 0;
  private inFailurePath = false;

  /** Applies events not seen before (by id) and returns what to tell the user about them. */
  apply(events: HistoryEvent[]): Note[] {
    const notes: Note[] = [];
    for (const event of events) {
      if (event.id === undefined || event.id <= this.lastSeenId) continue;
      this.lastSeenId = event.id;
      this.events.push(event);
      const note = this.applyOne(event);
      if (note) notes.push(note);
    }
    return notes;
  }

  /** The innermost state being executed, with its enclosing Map: `SmokeTests › CheckOutput`. */
  get currentState(): string | undefined {
    const current = this.open.at(-1);
    if (!current) return undefined;
    const enclosing = this.open.filter((v) => v.stateKind === 'Map' && v !== current).map((v) => v.state);
    return [...new Set(enclosing), current.state].join(' › ');
  }

  get currentStateEnteredAt(): Date | undefined {
    return this.open.at(-1)?.enteredAt;
  }

  /**
   * The state a failed run went wrong in: the task whose failure no retry recovered, before the failure path began;
   * else the state left just before the failure path (GateFailed, for a baseline mismatch); else whatever failed.
   */
  get failedState(): string | undefined {
    const unrecovered = this.failures.filter((f) => !f.retried && !f.continued);
    return unrecovered.find((f) => !f.onFailurePath)?.state ?? this.lastStateBeforeFailurePath ?? unrecovered[0]?.state;
  }

  private applyOne(event: HistoryEvent): Note | undefined {
    const at = event.timestamp ?? new Date();
    const type = String(event.type);
    const entered = ENTERED.exec(type);
    if (entered) return this.enter(event, entered[1] as StateKind, at);
    const exited = EXITED.exec(type);
    if (exited) return this.exit(event, at);
    const visit = this.attribute(event);
    const state = visit?.state;
    if (type === 'ExecutionStarted') {
      this.startedAt = at;
      return { kind: 'started', at };
    }
    if (type in EXECUTION_END) return this.finish(event, EXECUTION_END[type], at);
    if (!visit || !state) return undefined;
    if (SCHEDULED.has(type)) {
      const attempt = (this.attempts.get(visit) ?? 0) + 1;
      this.attempts.set(visit, attempt);
      if (attempt === 1) return undefined;
      this.retries += 1;
      const previous = this.failures.findLast((f) => f.visit === visit && !f.retried);
      if (previous) previous.retried = true;
      return { kind: 'retry', at, state, attempt, depth: this.depth };
    }
    if (TASK_FAILED.has(type)) {
      const { error, cause } = errorDetails(event);
      this.failures.push({ state, error: error ?? type, cause: cause ?? '', at, retried: false, continued: false, onFailurePath: this.inFailurePath, visit });
      return { kind: 'taskFailed', at, state, error: error ?? type, cause: cause ?? '', depth: this.depth };
    }
    return undefined;
  }

  private enter(event: HistoryEvent, stateKind: StateKind, at: Date): Note | undefined {
    const state = event.stateEnteredEventDetails?.name ?? '?';
    const depth = this.depth;
    if (depth === 0 && !this.inFailurePath && FAILURE_PATH_STATES.has(state)) this.inFailurePath = true;
    // The state this one follows in its lane (AWS chains an entry to the previous state's exit): if that state failed
    // and its Catch led to more work (a Task) off the failure path, the run carried on. A Pass that reshapes the
    // error on its way to the failure path is not carrying on.
    const previous = event.previousEventId !== undefined ? this.visitOfEvent.get(event.previousEventId) : undefined;
    if (previous && previous.state !== state && stateKind === 'Task' && !FAILURE_PATH_STATES.has(state)) {
      for (const f of this.failures) if (f.visit === previous && !f.retried) f.continued = true;
    }
    const visit: StateVisit = { entryId: event.id!, state, stateKind, depth, enteredAt: at };
    this.visitOfEvent.set(event.id!, visit);
    this.visits.push(visit);
    this.open.push(visit);
    if (stateKind === 'Wait') {
      this.polls += 1;
      return { kind: 'poll', at, state, polls: this.polls, depth };
    }
    if (stateKind === 'Fail' || stateKind === 'Succeed') this.close(visit, at);
    return { kind: 'entered', at, state, stateKind, depth };
  }

  private exit(event: HistoryEvent, at: Date): Note | undefined {
    const state = event.stateExitedEventDetails?.name ?? '?';
    const chained = event.previousEventId !== undefined ? this.visitOfEvent.get(event.previousEventId) : undefined;
    const visit = chained && chained.state === state && !chained.exitedAt ? chained : this.open.findLast((v) => v.state === state);
    if (!visit) return undefined;
    this.visitOfEvent.set(event.id!, visit);
    this.close(visit, at);
    if (visit.depth === 0) {
      const output = parseObject(event.stateExitedEventDetails?.output);
      if (output) this.lastState = output;
      if (!this.inFailurePath) this.lastStateBeforeFailurePath = state;
    }
    if (visit.stateKind === 'Wait') return undefined;
    const failed = this.failures.some((f) => f.visit === visit && !f.retried);
    return { kind: 'exited', at, state, stateKind: visit.stateKind, depth: visit.depth, durationMs: at.getTime() - visit.enteredAt.getTime(), failed };
  }

  private close(visit: StateVisit, at: Date): void {
    visit.exitedAt = at;
    const index = this.open.lastIndexOf(visit);
    if (index >= 0) this.open.splice(index, 1);
  }

  private finish(event: HistoryEvent, status: ExecutionEndStatus, at: Date): Note {
    this.status = status;
    this.finishedAt = at;
    for (const visit of [...this.open]) this.close(visit, at);
    const { error, cause } = errorDetails(event);
    if (status === 'SUCCEEDED') {
      const output = parseObject(event.executionSucceededEventDetails?.output);
      if (output) this.lastState = output;
    } else {
      this.executionError = { error, cause };
    }
    return { kind: 'finished', at, status, error, cause };
  }

  /** Nesting inside Map/Parallel states: their iterations' states come in between their entered and exited events. */
  private get depth(): number {
    return this.open.filter((v) => v.stateKind === 'Map' || v.stateKind === 'Parallel').length;
  }

  /** The state visit an event belongs to, following previousEventId (AWS chains a task's events to its state's entry). */
  private attribute(event: HistoryEvent): StateVisit | undefined {
    const visit =
      (event.previousEventId !== undefined ? this.visitOfEvent.get(event.previousEventId) : undefined) ?? this.open.at(-1);
    if (visit && event.id !== undefined) this.visitOfEvent.set(event.id, visit);
    return visit;
  }
}

/** error/cause from whichever `…EventDetails` the event carries. */
function errorDetails(event: HistoryEvent): { error?: string; cause?: string } {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    const details = value as { error?: unknown; cause?: unknown };
    if (details.error !== undefined || details.cause !== undefined) {
      return {
        error: details.error === undefined ? undefined : String(details.error),
        cause: details.cause === undefined ? undefined : String(details.cause),
      };
    }
  }
  return {};
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
