import type { FaultInjector } from '../faults';
import type { LocalFunction } from '../lambda/step-function';
import type { DeployedDefinition } from './definition';
import { HistoryTranslator, type HistoryEvent, type LibraryEvent } from './history';
import { ExecutionError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from './library';
import { libraryDefinition } from './callback-task';
import { callbackLimits, laneState, scaledTiming } from './scaled-timing';
import { InvocationJournal, laneContext, taskHandlers } from './task-invocations';
import { CallbackTaskError, TaskTokens } from './task-tokens';
import { isKnownValid, rememberValid } from './validated-definitions';

export interface RunOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  output?: string;
  error?: string;
  cause?: string;
  stopDate: number;
}

export interface RunningExecution {
  /** Settles once the run has ended and its whole history, closing event included, has been emitted. */
  done: Promise<RunOutcome>;
  /**
   * Aborts the run; a Task already running finishes in the background, as a Lambda would. The run closes as
   * ABORTED (StopExecution) or, when the embedded AWS shuts down under it, as FAILED with the given error.
   */
  stop(ending?: StopEnding): void;
}

export interface StopEnding {
  status: 'ABORTED' | 'FAILED';
  error?: string;
  cause?: string;
}

export interface ExecutionToRun {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  input: unknown;
}

export interface WorkflowRunnerOptions {
  definition: DeployedDefinition;
  /** The function a Task's Resource ARN names (local/lambda's stepFunction for the pipeline). */
  functionFor: (resource: string) => LocalFunction;
  /** Multiplies every Wait and retry interval; 1 runs AWS's timing. */
  waitScale: number;
  /** The state machine's role, as ExecutionStarted reports it. */
  roleArn: string;
  warn?: (message: string) => void;
  /** The embedded AWS's fault rules; `lambda` rules apply to Task invocations. */
  faults?: FaultInjector;
  /** The task tokens SendTaskSuccess/Failure/Heartbeat use; needed by callback (`.waitForTaskToken`) Tasks. */
  tokens?: TaskTokens;
}

/** Runs executions of one state machine definition with aws-local-stepfunctions, emitting AWS history as it goes. */
export class WorkflowRunner {
  private readonly machine: StateMachine;

  constructor(private readonly options: WorkflowRunnerOptions) {
    // The library validates the definition (asl-validator, ARNs and paths included), so a bad file fails start-up.
    // That costs seconds (a schema compile per call), so a definition already found valid is not validated again.
    const text = options.definition.text;
    this.machine = new StateMachine(libraryDefinition(options.definition.document) as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: isKnownValid(text) },
    });
    rememberValid(text);
  }

  start(execution: ExecutionToRun, onEvents: (events: HistoryEvent[]) => void): RunningExecution {
    const { definition, functionFor, waitScale, roleArn } = this.options;
    const warn = this.options.warn ?? (() => undefined);
    const journal = new InvocationJournal();
    const history = new HistoryTranslator(definition.states, journal, onEvents, roleArn);
    let stopRequest: StopEnding | undefined;
    const tokens = this.options.tokens ?? new TaskTokens();
    const callbacks = {
      tokens,
      executionArn: execution.executionArn,
      functionFor,
      limits: (state: Parameters<typeof callbackLimits>[0], stateInput: unknown) => callbackLimits(state, stateInput, waitScale),
      laneState: (lane: Parameters<typeof laneState>[0]) => laneState(lane, definition.states),
    };

    // A fresh async context: lanes of another execution (or of the code that started this one) must not leak in.
    const run = laneContext.exit(() =>
      this.machine.run(execution.input as never, {
        overrides: {
          taskResourceLocalHandlers: taskHandlers(definition.states, functionFor, journal, this.options.faults, callbacks) as never,
          ...scaledTiming(definition.states, waitScale),
        },
        noThrowOnAbort: true,
        context: {
          Execution: { Id: execution.executionArn, Name: execution.name, RoleArn: roleArn },
          // Each read of $$.Task.Token (a callback Task's Parameters) is a fresh token.
          Task: {
            get Token() {
              return tokens.mint();
            },
          },
          StateMachine: { Id: execution.stateMachineArn, Name: execution.stateMachineArn.split(':').pop() },
        },
      }),
    );

    // An event that cannot be recorded (a full disk) fails the execution: a history with events missing would
    // tell the operator a different story from what ran.
    let unrecorded: StopEnding | undefined;
    const historyFailed = (type: string, error: unknown) => {
      const cause = historyWriteCause(type, error);
      warn(`${execution.executionArn}: ${cause}`);
      return { status: 'FAILED' as const, error: HISTORY_WRITE_ERROR, cause };
    };
    const drained = (async () => {
      for await (const event of run.eventLogs) {
        if (unrecorded) continue;
        try {
          history.translate(event as LibraryEvent);
        } catch (error) {
          unrecorded = historyFailed(event.type, error);
          stopRequest ??= unrecorded;
          run.abort();
        }
      }
    })();

    const done = (async (): Promise<RunOutcome> => {
      let outcome: Omit<RunOutcome, 'stopDate'>;
      try {
        const output = await run.result;
        outcome = stopRequest ?? { status: 'SUCCEEDED', output: JSON.stringify(output) };
      } catch (error) {
        outcome = stopRequest ?? failureOutcome(error);
      }
      tokens.endExecution(execution.executionArn, new CallbackTaskError('States.Runtime', 'The execution ended'));
      const stopDate = Date.now();
      await drained;
      if (unrecorded) outcome = unrecorded;
      try {
        history.terminal(TERMINAL_EVENT[outcome.status], stopDate, terminalDetails(outcome));
      } catch (error) {
        if (unrecorded) return { ...outcome, stopDate };
        outcome = historyFailed(TERMINAL_EVENT[outcome.status], error);
        try {
          history.terminal('ExecutionFailed', stopDate, terminalDetails(outcome));
        } catch {
          // Still refused: the record says FAILED and why; the history ends at the last event written.
        }
      }
      return { ...outcome, stopDate };
    })();

    return {
      done,
      stop(ending = { status: 'ABORTED' }) {
        stopRequest ??= ending;
        run.abort();
      },
    };
  }
}

function failureOutcome(error: unknown): Omit<RunOutcome, 'stopDate'> {
  if (error instanceof ExecutionTimeoutError) {
    return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran longer than the state machine TimeoutSeconds' };
  }
  const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : (error as Error);
  const cause = (failure as { cause?: unknown }).cause;
  return {
    status: 'FAILED',
    error: failure?.name || 'States.Runtime',
    cause: typeof cause === 'string' ? cause : (failure?.message ?? String(error)),
  };
}

/** A run whose history could not be written fails as an execution fails on a runtime error it cannot handle. */
export const HISTORY_WRITE_ERROR = 'States.Runtime';

function historyWriteCause(eventType: string, error: unknown): string {
  return (
    `Step Functions could not record the execution's history event ${eventType} (${(error as Error)?.message ?? String(error)}), ` +
    'so the execution was stopped rather than run on with its history incomplete. Free space in the data dir and start it again.'
  );
}

const TERMINAL_EVENT = {
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  ABORTED: 'ExecutionAborted',
  TIMED_OUT: 'ExecutionTimedOut',
} as const;

function terminalDetails(outcome: Omit<RunOutcome, 'stopDate'>): Record<string, unknown> {
  if (outcome.status === 'SUCCEEDED') return { output: outcome.output, outputDetails: { truncated: false } };
  return { error: outcome.error, cause: outcome.cause };
}
