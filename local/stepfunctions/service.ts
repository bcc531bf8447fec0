import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type * as z from 'zod';
import { AwsError } from '../aws-error';
import type { FaultInjector } from '../faults';
import { jsonService } from '../protocols/aws-json';
import { parseInput as parse } from '../protocols/input-validation';
import { LOCAL_ACCOUNT_ID, type RequestContext, type ServiceModule } from '../service';
import type { DeployedDefinition } from './definition';
import {
  executionArnSchema,
  historySchema,
  listSchema,
  pageSchema,
  startSchema,
  stateMachineArnSchema,
  stopSchema,
  taskFailureSchema,
  taskSuccessSchema,
  taskTokenSchema,
} from './shapes';
import { ExecutionStore, type ExecutionRecord } from './execution-store';
import type { HistoryEvent, HistoryEventOutput } from './history';
import type { RunningExecution, WorkflowRunner } from './runner';
import { TaskTokens } from './task-tokens';

/** Step Functions' limit on execution input (and every state's data): 256 KiB of UTF-8. */
export const MAX_EXECUTION_INPUT_BYTES = 262_144;

/**
 * What an execution that was RUNNING when the embedded AWS stopped fails with. aws-local-stepfunctions cannot resume
 * a run mid-state, so such an execution is closed as FAILED — visibly, with its history kept — never left RUNNING
 * forever nor dropped.
 */
export const INTERRUPTED_ERROR = 'EmbeddedAwsRestarted';

export interface StateMachineRegistration {
  name: string;
  definition: DeployedDefinition;
  runner: WorkflowRunner;
  roleArn: string;
}

export interface StartExecutionRequest {
  stateMachineArn?: string;
  name?: string;
  input?: string;
}

interface StateMachineEntry extends StateMachineRegistration {
  arn: string;
  creationDate: Date;
}

interface Execution {
  record: ExecutionRecord;
  run?: RunningExecution;
  finished: Promise<ExecutionRecord>;
}

const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;


/**
 * The embedded Step Functions (awsJson1_0, `AWSStepFunctions.*`): StartExecution, DescribeExecution,
 * GetExecutionHistory, ListExecutions, StopExecution, ListStateMachines, DescribeStateMachine(ForExecution).
 * State machines are registered at start-up with the runner that executes them; executions and their histories
 * persist under `<dataDir>/stepfunctions`. Error codes and messages are AWS's.
 */
export class StepFunctionsService implements ServiceModule {
  /** `states`, Step Functions' signing name: what fault rules and logs call this service. */
  readonly name = 'states';
  /** The tokens of running callback Tasks: the runners open them, SendTask* closes them. */
  readonly tokens = new TaskTokens();
  private readonly protocol: ServiceModule;
  private readonly store: ExecutionStore;
  private readonly stateMachines = new Map<string, StateMachineEntry>();
  private readonly executions = new Map<string, Execution>();
  private closed = false;

  constructor(
    private readonly options: { dataDir: string; region: string; warn?: (message: string) => void; faults?: FaultInjector },
  ) {
    this.store = new ExecutionStore(join(options.dataDir, 'stepfunctions'), options.faults);
    for (const record of this.store.loadAll(this.warn)) {
      if (record.status === 'RUNNING') this.failInterrupted(record);
      this.executions.set(record.executionArn, { record, finished: Promise.resolve(record) });
    }
    this.protocol = jsonService({
      name: this.name,
      targetPrefix: 'AWSStepFunctions',
      jsonVersion: '1.0',
      operations: {
        StartExecution: (input) => this.startExecution(parse(startSchema, input)),
        DescribeExecution: (input) => this.describeExecution(required(parse(executionArnSchema, input).executionArn, 'executionArn')),
        GetExecutionHistory: (input) => this.getExecutionHistory(parse(historySchema, input)),
        ListExecutions: (input) => this.listExecutions(parse(listSchema, input)),
        StopExecution: (input) => this.stopExecution(parse(stopSchema, input)),
        ListStateMachines: (input) => this.listStateMachines(parse(pageSchema, input)),
        DescribeStateMachine: (input) =>
          this.describeStateMachine(required(parse(stateMachineArnSchema, input).stateMachineArn, 'stateMachineArn')),
        SendTaskSuccess: (input) => {
          const request = parse(taskSuccessSchema, input);
          this.tokens.succeed(required(request.taskToken, 'taskToken'), required(request.output, 'output'));
          return {};
        },
        SendTaskFailure: (input) => {
          const request = parse(taskFailureSchema, input);
          this.tokens.fail(required(request.taskToken, 'taskToken'), request.error, request.cause);
          return {};
        },
        SendTaskHeartbeat: (input) => {
          this.tokens.heartbeat(required(parse(taskTokenSchema, input).taskToken, 'taskToken'));
          return {};
        },
        DescribeStateMachineForExecution: (input) => {
          const arn = required(parse(executionArnSchema, input).executionArn, 'executionArn');
          // This output has no creation date or status, but requires the definition's last update (never, here: creation).
          const { status: _status, type: _type, creationDate, ...machine } = this.describeStateMachine(this.execution(arn).record.stateMachineArn);
          return { ...machine, updateDate: creationDate };
        },
      },
    });
  }

  handles(req: IncomingMessage, ctx: RequestContext): boolean {
    return this.protocol.handles(req, ctx);
  }

  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    return this.protocol.handle(req, res, ctx);
  }

  /** Makes a state machine exist (the pipeline's, at start-up). Returns its ARN. */
  createStateMachine(registration: StateMachineRegistration): string {
    const arn = `arn:aws:states:${this.options.region}:${LOCAL_ACCOUNT_ID}:stateMachine:${registration.name}`;
    this.stateMachines.set(arn, { ...registration, arn, creationDate: new Date() });
    return arn;
  }

  startExecution(request: StartExecutionRequest): { executionArn: string; startDate: Date } {
    const arn = required(request.stateMachineArn, 'stateMachineArn');
    const input = request.input ?? '{}';
    if (request.name !== undefined && (request.name.length < 1 || request.name.length > 80)) {
      const bound = request.name.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 80';
      throw validation(`Value '${request.name}' at 'name' failed to satisfy constraint: Member must have length ${bound}`);
    }
    if (Buffer.byteLength(input, 'utf8') > MAX_EXECUTION_INPUT_BYTES) {
      throw validation(
        `Value at 'input' failed to satisfy constraint: Member must have size less than or equal to ${MAX_EXECUTION_INPUT_BYTES} bytes in UTF-8 encoding`,
      );
    }
    const machine = this.stateMachine(arn);
    const name = request.name ?? randomUUID();
    if (NAME_FORBIDDEN.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch (error) {
      throw new AwsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(error as Error).message}'`);
    }

    const executionArn = `arn:aws:states:${this.options.region}:${LOCAL_ACCOUNT_ID}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // AWS: the same name and input while the execution is open is idempotent; anything else is a conflict.
      if (existing.record.status === 'RUNNING' && existing.record.input === input) {
        return { executionArn, startDate: new Date(existing.record.startDate) };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    if (this.closed) throw new AwsError('ServiceUnavailable', 'The embedded AWS is shutting down', 503);

    const record: ExecutionRecord = { executionArn, stateMachineArn: arn, name, status: 'RUNNING', input, startDate: Date.now() };
    this.store.save(record);
    const run = machine.runner.start(
      { executionArn, name, stateMachineArn: arn, input: parsedInput },
      (events) => this.store.appendHistory(record, events),
    );
    const execution: Execution = {
      record,
      run,
      finished: run.done.then((outcome) => {
        Object.assign(record, outcome);
        try {
          this.store.save(record);
        } catch (error) {
          // The run is over either way; on disk it stays RUNNING, so a restart closes it as interrupted.
          this.warn(`${record.executionArn}: could not write the execution's ${record.status} record: ${(error as Error).message}`);
        }
        execution.run = undefined;
        return record;
      }),
    };
    this.executions.set(executionArn, execution);
    return { executionArn, startDate: new Date(record.startDate) };
  }

  describeExecution(executionArn: string) {
    const { record } = this.execution(executionArn);
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: new Date(record.startDate),
      stopDate: record.stopDate === undefined ? undefined : new Date(record.stopDate),
      input: record.input,
      inputDetails: { included: true },
      output: record.output,
      outputDetails: record.output === undefined ? undefined : { included: true },
      error: record.error,
      cause: record.cause,
    };
  }

  /** The execution's history, oldest first, in AWS's event shape (timestamps as Dates). */
  history(executionArn: string): HistoryEventOutput[] {
    return this.store
      .history(this.execution(executionArn).record)
      .map((event) => ({ ...event, timestamp: new Date(event.timestamp) }) as HistoryEventOutput);
  }

  /** Resolves with the execution's final record once it is no longer RUNNING. */
  async waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    return this.execution(executionArn).finished;
  }

  /** Every execution of a state machine, newest first. */
  listExecutionRecords(stateMachineArn?: string): ExecutionRecord[] {
    return [...this.executions.values()]
      .map((e) => e.record)
      .filter((r) => stateMachineArn === undefined || r.stateMachineArn === stateMachineArn)
      .sort((a, b) => b.startDate - a.startDate);
  }

  /**
   * Stops every running execution and closes it as FAILED (`EmbeddedAwsRestarted`): after shutdown nothing could
   * carry it on. Tasks already running finish in the background against a closed server and are ignored.
   */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.executions.values()].filter((e) => e.run);
    for (const execution of running) {
      const cause = interruptionCause('stopped', lastStateEntered(this.store.history(execution.record)));
      execution.run!.stop({ status: 'FAILED', error: INTERRUPTED_ERROR, cause });
      this.warn(`${execution.record.executionArn}: ${cause}`);
    }
    await Promise.all(running.map((e) => e.finished));
  }

  private getExecutionHistory(request: z.infer<typeof historySchema>) {
    const arn = required(request.executionArn, 'executionArn');
    let events = this.history(arn);
    if (request.reverseOrder) events = events.reverse();
    if (request.includeExecutionData === false) events = events.map(withoutData);
    const page = paginate(events, request.maxResults, request.nextToken);
    return { events: page.items, nextToken: page.nextToken };
  }

  private listExecutions(request: z.infer<typeof listSchema>) {
    const arn = required(request.stateMachineArn, 'stateMachineArn');
    this.stateMachine(arn);
    const records = this.listExecutionRecords(arn).filter((r) => !request.statusFilter || r.status === request.statusFilter);
    const page = paginate(records, request.maxResults, request.nextToken);
    return {
      executions: page.items.map((r) => ({
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: new Date(r.startDate),
        stopDate: r.stopDate === undefined ? undefined : new Date(r.stopDate),
      })),
      nextToken: page.nextToken,
    };
  }

  private async stopExecution(request: z.infer<typeof stopSchema>) {
    const execution = this.execution(required(request.executionArn, 'executionArn'));
    if (execution.run) {
      execution.run.stop({ status: 'ABORTED', error: request.error, cause: request.cause });
      await execution.finished;
    }
    return { stopDate: new Date(execution.record.stopDate ?? Date.now()) };
  }

  private listStateMachines(request: z.infer<typeof pageSchema>) {
    const machines = [...this.stateMachines.values()].map((m) => ({
      stateMachineArn: m.arn,
      name: m.name,
      type: 'STANDARD',
      creationDate: m.creationDate,
    }));
    const page = paginate(machines, request.maxResults, request.nextToken);
    return { stateMachines: page.items, nextToken: page.nextToken };
  }

  private describeStateMachine(arn: string) {
    const machine = this.stateMachine(arn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definition.text,
      roleArn: machine.roleArn,
      type: 'STANDARD',
      creationDate: machine.creationDate,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  private stateMachine(arn: string): StateMachineEntry {
    checkArn(arn, 'stateMachine');
    const machine = this.stateMachines.get(arn);
    if (!machine) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: string): Execution {
    checkArn(arn, 'execution');
    const execution = this.executions.get(arn);
    if (!execution) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  /** Closes an execution found RUNNING at start-up: its run died with the previous process. */
  private failInterrupted(record: ExecutionRecord): void {
    const history = this.store.history(record);
    const last = history[history.length - 1];
    const cause = interruptionCause('restarted', lastStateEntered(history));
    const stopDate = Date.now();
    Object.assign(record, { status: 'FAILED', error: INTERRUPTED_ERROR, cause, stopDate });
    this.store.appendHistory(record, [
      {
        id: (last?.id ?? 0) + 1,
        previousEventId: last?.id ?? 0,
        timestamp: stopDate,
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: INTERRUPTED_ERROR, cause },
      },
    ]);
    this.store.save(record);
    this.warn(`${record.executionArn}: ${cause}`);
  }

  private get warn(): (message: string) => void {
    return this.options.warn ?? (() => undefined);
  }
}

function lastStateEntered(history: HistoryEvent[]): string | undefined {
  const entered = [...history].reverse().find((e) => e.type.endsWith('StateEntered'));
  return entered?.stateEnteredEventDetails?.name as string | undefined;
}

function interruptionCause(why: 'restarted' | 'stopped', state: string | undefined): string {
  const where = state ? ` in state ${state}` : '';
  return (
    (why === 'restarted'
      ? `The embedded AWS stopped while this execution was running${where} and has restarted since. `
      : `The embedded AWS shut down while this execution was running${where}. `) +
    'aws-local-stepfunctions cannot resume an execution mid-state, so it was closed as failed; nothing was rolled back. ' +
    'Check what it left (endpoint, endpoint config, the lock in the artifacts bucket), then start a new execution.'
  );
}

function required(value: string | undefined, field: string): string {
  if (value === undefined) throw validation(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
}

const validation = (detail: string) => new AwsError('ValidationException', `1 validation error detected: ${detail}`);

/** InvalidArn as Step Functions words it, for a malformed ARN or one of the wrong resource type. */
function checkArn(arn: string, resourceType: 'stateMachine' | 'execution'): void {
  if (!arn.startsWith('arn:')) throw new AwsError('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${arn}'`);
  const parts = arn.split(':');
  if (parts.length < 7 || parts[2] !== 'states') throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${parts[2] ?? ''}'`);
  if (parts[5] !== resourceType) throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${parts[5]}'`);
}

/** Opaque page tokens: the offset of the next item. maxResults 0 or absent means 100 (AWS's default); at most 1000. */
function paginate<T>(items: T[], maxResults = 0, nextToken?: string): { items: T[]; nextToken?: string } {
  if (maxResults < 0 || maxResults > 1000) {
    throw validation(`Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  let offset = 0;
  if (nextToken !== undefined) {
    offset = Number.parseInt(Buffer.from(nextToken, 'base64url').toString('utf8').replace(/^offset:/, ''), 10);
    if (!Number.isInteger(offset) || offset < 0 || offset > items.length) throw new AwsError('InvalidToken', `Invalid Token: '${nextToken}'`);
  }
  const size = maxResults || 100;
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined,
  };
}

/** includeExecutionData: false drops every input and output from the events, as AWS does. */
function withoutData<T extends object>(event: T): T {
  const copy = { ...event } as Record<string, unknown>;
  for (const [key, value] of Object.entries(copy)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
    copy[key] = rest;
  }
  return copy as T;
}
