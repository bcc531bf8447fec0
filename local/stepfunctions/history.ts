import { JSONPath } from 'jsonpath-plus';
import { isCallbackResource } from './callback-task';
import type { StateInfo } from './definition';
import type { InvocationJournal, Invocation } from './task-invocations';

/**
 * One event of GetExecutionHistory in AWS's shape: `id`, `previousEventId`, `timestamp`, `type` and the
 * `<type>EventDetails` member that type carries (`stateEnteredEventDetails`, `lambdaFunctionFailedEventDetails`, …).
 * Timestamps are epoch milliseconds at rest; the API renders them as the JSON protocol's epoch seconds.
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: `${string}EventDetails`]: Record<string, unknown> | undefined;
}

/** A history event as the API returns it: the protocol layer renders Dates as epoch seconds. */
export type HistoryEventOutput = Omit<HistoryEvent, 'timestamp'> & { timestamp: Date };

/** An event as aws-local-stepfunctions logs it (its EventLog union, which the package does not export). */
export interface LibraryEvent {
  type: string;
  timestamp: number;
  /** Set on events of a Map iteration: the iteration's index. */
  index?: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string; type: string; input: unknown };
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

const TOP = 'top';

const dataDetails = { truncated: false };
const json = (value: unknown) => JSON.stringify(value ?? null);

/**
 * Turns the library's event log into the history AWS records for the same run, as the events happen. Tasks whose
 * Resource is a Lambda function ARN get AWS's LambdaFunctionScheduled/Started/Succeeded/Failed/TimedOut events, with
 * the payload the function really received and returned (from the invocation journal). Terminal execution events
 * (succeeded, failed, aborted, timed out) are the runner's to write, once the run has settled: see `terminal`.
 * The events one library event becomes (StateEntered, LambdaFunctionScheduled, LambdaFunctionStarted, …) are
 * emitted together, so the store writes them in one go.
 */
export class HistoryTranslator {
  private nextId = 1;
  private lastInLane = new Map<string, number>();
  private readonly invocationOfLane = new Map<string, Invocation>();
  private readonly failedLanes = new Set<string>();
  private mapStartedId = 0;
  /** The events of the library event being translated, emitted together once it is. */
  private batch: HistoryEvent[] = [];
  /** Where ids stood before the batch: a batch that cannot be written gives its ids back. */
  private beforeBatch = { nextId: 1, lastInLane: new Map<string, number>() };

  constructor(
    private readonly states: Map<string, StateInfo>,
    private readonly journal: InvocationJournal,
    private readonly emit: (events: HistoryEvent[]) => void,
    private readonly roleArn: string,
  ) {}

  translate(event: LibraryEvent): void {
    try {
      this.translateOne(event);
    } finally {
      this.emitBatch();
    }
  }

  private translateOne(event: LibraryEvent): void {
    const lane = event.index === undefined ? TOP : String(event.index);
    const at = event.timestamp;
    switch (event.type) {
      case 'ExecutionStarted':
        this.add(lane, at, 'ExecutionStarted', {
          executionStartedEventDetails: { input: json(event.input), inputDetails: dataDetails, roleArn: this.roleArn },
        });
        break;
      case 'MapIterationStarted':
        this.lastInLane.set(lane, this.mapStartedId);
        this.add(lane, at, 'MapIterationStarted', {
          mapIterationStartedEventDetails: { name: event.parentState?.name, index: event.index },
        });
        break;
      case 'MapIterationSucceeded':
        this.add(lane, at, 'MapIterationSucceeded', {
          mapIterationSucceededEventDetails: { name: event.parentState?.name, index: event.index },
        });
        break;
      case 'MapIterationFailed':
        this.add(lane, at, 'MapIterationFailed', {
          mapIterationFailedEventDetails: { name: event.parentState?.name, index: event.index },
        });
        break;
      case 'StateEntered':
        this.stateEntered(lane, at, event.state!);
        break;
      case 'StateRetried':
        if (event.state!.type === 'Task' && this.isLambda(event.state!.name)) this.lambdaScheduled(lane, at, event.state!);
        if (this.isCallback(event.state!)) this.taskScheduled(lane, at, event.state!);
        break;
      case 'StateFailed':
        this.stateFailed(lane, at, event.state!, String(event.Error), causeText(event.Cause));
        break;
      case 'StateExited':
        this.stateExited(lane, at, event.state!);
        break;
      default:
        // StateCaught: AWS records nothing for the catch itself; the state's Exited event follows.
        // Execution* terminal events: written by the runner (see class comment).
        break;
    }
  }

  /** The execution's closing event, written once the run has settled. */
  terminal(type: 'ExecutionSucceeded' | 'ExecutionFailed' | 'ExecutionAborted' | 'ExecutionTimedOut', at: number, details: Record<string, unknown>): void {
    const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails` as const;
    this.add(TOP, at, type, { [key]: details });
    this.emitBatch();
  }

  private emitBatch(): void {
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    try {
      this.emit(events);
    } catch (error) {
      // Not written, so not in the history: the next event written (the closing one) follows the last one that was.
      this.nextId = this.beforeBatch.nextId;
      this.lastInLane = this.beforeBatch.lastInLane;
      throw error;
    }
  }

  private stateEntered(lane: string, at: number, state: NonNullable<LibraryEvent['state']>): void {
    this.failedLanes.delete(lane);
    this.add(lane, at, `${state.type}StateEntered`, {
      stateEnteredEventDetails: { name: state.name, input: json(state.input), inputDetails: dataDetails },
    });
    if (state.type === 'Task' && this.isLambda(state.name)) this.lambdaScheduled(lane, at, state);
    if (this.isCallback(state)) this.taskScheduled(lane, at, state);
    if (state.type === 'Map') {
      this.mapStartedId = this.add(lane, at, 'MapStateStarted', {
        mapStateStartedEventDetails: { length: this.mapLength(state.name, state.input) },
      });
    }
  }

  private lambdaScheduled(lane: string, at: number, state: NonNullable<LibraryEvent['state']>): void {
    const info = this.states.get(state.name);
    const inputIsPayload = info?.InputPath === undefined && info?.Parameters === undefined;
    const invocation = this.journal.claim(state.name, inputIsPayload ? state.input : undefined);
    if (invocation) this.invocationOfLane.set(lane, invocation);
    this.failedLanes.delete(lane);
    this.add(lane, at, 'LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: {
        resource: info?.Resource,
        input: invocation?.inputText ?? json(state.input),
        inputDetails: dataDetails,
        timeoutInSeconds: info?.TimeoutSeconds ?? 60,
      },
    });
    this.add(lane, invocation?.startedAt ?? at, 'LambdaFunctionStarted', {});
  }

  /** A service-integration Task (here: lambda:invoke.waitForTaskToken): TaskScheduled and TaskStarted, as AWS records. */
  private taskScheduled(lane: string, at: number, state: NonNullable<LibraryEvent['state']>): void {
    const info = this.states.get(state.name);
    const invocation = this.journal.claim(state.name);
    if (invocation) this.invocationOfLane.set(lane, invocation);
    this.failedLanes.delete(lane);
    const { resourceType, resource } = serviceResource(info?.Resource);
    this.add(lane, at, 'TaskScheduled', {
      taskScheduledEventDetails: { resourceType, resource, region: info?.Resource?.split(':')[3] || undefined, parameters: invocation?.inputText ?? '{}' },
    });
    this.add(lane, invocation?.startedAt ?? at, 'TaskStarted', { taskStartedEventDetails: { resourceType, resource } });
  }

  private stateFailed(lane: string, at: number, state: NonNullable<LibraryEvent['state']>, error: string, cause: string): void {
    this.failedLanes.add(lane);
    if (this.isCallback(state)) {
      const timedOut = error === 'States.Timeout' || error === 'States.HeartbeatTimeout';
      const type = timedOut ? 'TaskTimedOut' : 'TaskFailed';
      this.add(lane, at, type, { [timedOut ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails']: { ...serviceResource(this.states.get(state.name)?.Resource), error, cause } });
    }
    if (state.type === 'Task' && this.isLambda(state.name)) {
      const timedOut = error === 'States.Timeout';
      this.add(lane, at, timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed', {
        [timedOut ? 'lambdaFunctionTimedOutEventDetails' : 'lambdaFunctionFailedEventDetails']: { error, cause },
      });
    } else if (state.type === 'Map') {
      this.add(lane, at, 'MapStateFailed', {});
    }
  }

  private stateExited(lane: string, at: number, state: NonNullable<LibraryEvent['state']>): void {
    const failed = this.failedLanes.has(lane);
    if (state.type === 'Task' && this.isLambda(state.name) && !failed) {
      const invocation = this.invocationOfLane.get(lane);
      this.add(lane, invocation?.finishedAt ?? at, 'LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: { output: invocation?.outputText ?? json(state.output), outputDetails: dataDetails },
      });
    }
    if (this.isCallback(state) && !failed) {
      this.add(lane, at, 'TaskSucceeded', {
        taskSucceededEventDetails: {
          ...serviceResource(this.states.get(state.name)?.Resource),
          output: this.invocationOfLane.get(lane)?.outputText ?? json(state.output),
          outputDetails: dataDetails,
        },
      });
    }
    if (state.type === 'Map' && !failed) this.add(lane, at, 'MapStateSucceeded', {});
    this.invocationOfLane.delete(lane);
    this.failedLanes.delete(lane);
    this.add(lane, at, `${state.type}StateExited`, {
      stateExitedEventDetails: { name: state.name, output: json(state.output), outputDetails: dataDetails },
    });
  }

  private isLambda(stateName: string): boolean {
    return /^arn:aws[a-z-]*:lambda:/.test(this.states.get(stateName)?.Resource ?? '');
  }

  private isCallback(state: NonNullable<LibraryEvent['state']>): boolean {
    return state.type === 'Task' && isCallbackResource(this.states.get(state.name)?.Resource);
  }

  private mapLength(stateName: string, input: unknown): number {
    const path = this.states.get(stateName)?.ItemsPath ?? '$';
    const items = JSONPath({ path, json: input as object, wrap: false }) as unknown;
    return Array.isArray(items) ? items.length : 0;
  }

  private add(lane: string, timestamp: number, type: string, details: Record<string, unknown>): number {
    if (this.batch.length === 0) this.beforeBatch = { nextId: this.nextId, lastInLane: new Map(this.lastInLane) };
    const id = this.nextId++;
    // Map iterations interleave, so an iteration's event follows the previous event of that iteration, as in AWS;
    // everything else follows the event just before it.
    const previousEventId = lane === TOP ? id - 1 : (this.lastInLane.get(lane) ?? id - 1);
    this.lastInLane.set(lane, id);
    this.batch.push({ id, previousEventId, timestamp, type, ...details } as HistoryEvent);
    return id;
  }
}

/** `arn:aws:states:::lambda:invoke.waitForTaskToken` → resourceType `lambda`, resource `invoke.waitForTaskToken`. */
function serviceResource(arn: string | undefined): { resourceType: string; resource: string } {
  const [resourceType = '', resource = ''] = (arn ?? '').split(':').slice(5);
  return { resourceType, resource };
}

function causeText(cause: unknown): string {
  return typeof cause === 'string' ? cause : cause instanceof Error ? cause.message : json(cause);
}
