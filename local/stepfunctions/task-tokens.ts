import { randomBytes } from 'node:crypto';
import { AwsError } from '../aws-error';

/** Step Functions' limits on a callback: the token's length, the output's size, the error's and cause's lengths. */
const MAX_TOKEN_CHARS = 2048;
const MAX_OUTPUT_BYTES = 262_144;
const MAX_ERROR_CHARS = 256;
const MAX_CAUSE_CHARS = 32_768;
const TOKEN_FORMAT = /^AQ[A-Za-z0-9_-]{160}$/;

/** How a callback task ended, as the state sees it: the output of SendTaskSuccess or a named error. */
export class CallbackTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface OpenTask {
  executionArn: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeat(): void;
}

/**
 * The task tokens of running callback tasks (`.waitForTaskToken`), shared by the runner that opens them and the
 * API (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) that closes them, with AWS's errors: a token that is not
 * one is InvalidToken, a token of a task that has ended is TaskTimedOut, one never issued is TaskDoesNotExist.
 */
export class TaskTokens {
  private readonly minted = new Set<string>();
  private readonly open = new Map<string, OpenTask>();
  private readonly ended = new Set<string>();

  /** A fresh token, as `$$.Task.Token` yields it when a Task's Parameters are evaluated. */
  mint(): string {
    const token = `AQ${randomBytes(120).toString('base64url')}`;
    this.minted.add(token);
    return token;
  }

  /** The minted, not yet opened token somewhere in a Task's evaluated Parameters. */
  findIn(parameters: unknown): string | undefined {
    if (typeof parameters === 'string') return this.minted.has(parameters) ? parameters : undefined;
    if (typeof parameters !== 'object' || parameters === null) return undefined;
    for (const value of Object.values(parameters)) {
      const token = this.findIn(value);
      if (token) return token;
    }
    return undefined;
  }

  /** Opens the task a token stands for; the promise settles when the token is used or the task ends otherwise. */
  await(token: string, executionArn: string, onHeartbeat: () => void = () => undefined): Promise<unknown> {
    this.minted.delete(token);
    return new Promise((resolve, reject) => {
      this.open.set(token, { executionArn, resolve, reject, heartbeat: onHeartbeat });
    });
  }

  /** Ends a task without a callback (its timeout, its execution stopping): later calls with its token are TaskTimedOut. */
  end(token: string, error?: Error): void {
    const task = this.open.get(token);
    this.open.delete(token);
    this.minted.delete(token);
    this.ended.add(token);
    if (task && error) task.reject(error);
  }

  /** Ends every open task of an execution (it finished, was stopped, or the embedded AWS shuts down). */
  endExecution(executionArn: string, error: Error): void {
    for (const [token, task] of this.open) if (task.executionArn === executionArn) this.end(token, error);
  }

  succeed(token: string, output: string): void {
    if (Buffer.byteLength(output, 'utf8') > MAX_OUTPUT_BYTES) {
      throw validation(`Value at 'output' failed to satisfy constraint: Member must have length less than or equal to ${MAX_OUTPUT_BYTES}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch (error) {
      throw new AwsError('InvalidOutput', `Invalid Output: '${(error as Error).message}'`);
    }
    const task = this.take(token);
    task.resolve(parsed);
  }

  fail(token: string, error = '', cause = ''): void {
    if (error.length > MAX_ERROR_CHARS) {
      throw validation(`Value at 'error' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ERROR_CHARS}`);
    }
    if (cause.length > MAX_CAUSE_CHARS) {
      throw validation(`Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to ${MAX_CAUSE_CHARS}`);
    }
    this.take(token).reject(new CallbackTaskError(error, cause));
  }

  heartbeat(token: string): void {
    this.find(token).heartbeat();
  }

  private take(token: string): OpenTask {
    const task = this.find(token);
    this.end(token);
    return task;
  }

  private find(token: string): OpenTask {
    if (token.length < 1 || token.length > MAX_TOKEN_CHARS) {
      throw validation(`Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and ${MAX_TOKEN_CHARS}`);
    }
    const task = this.open.get(token);
    if (task) return task;
    if (this.ended.has(token) || this.minted.has(token)) {
      throw new AwsError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    if (!TOKEN_FORMAT.test(token)) throw new AwsError('InvalidToken', "Invalid Token: 'Invalid token'");
    throw new AwsError('TaskDoesNotExist', "Task Does Not Exist: 'Provided task does not exist'");
  }
}

const validation = (detail: string) => new AwsError('ValidationException', `1 validation error detected: ${detail}`);
