import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { RoleSession } from '../iam/sessions';
import { FUNCTION_NAME_PREFIX } from '../pipeline-resources';
import { runAsRole } from './role-credentials';

/** Where the step handlers live: functions/<step>/handler.ts, exporting `handler`. */
export const FUNCTIONS_DIR = join(__dirname, '..', '..', 'functions');

/**
 * A Lambda function as the local runner calls it, in the shape of Lambda's Invoke: the payload as JSON text in, the
 * result as JSON text out, failures as LambdaFunctionError. Text both ways is the boundary a real function has (what
 * it gets and returns never shares objects with the caller), and the caller already needs the text (the history
 * records it), so a payload is serialized once.
 */
export type LocalFunction = (payloadJson: string) => Promise<string>;

/** Calls a LocalFunction with a value and parses what it returns. */
export async function invokeWithValue(fn: LocalFunction, payload: unknown): Promise<unknown> {
  return JSON.parse(await fn(JSON.stringify(payload ?? null))) as unknown;
}

/** A Lambda handler as functions/<step>/handler.ts exports it. */
export type StepHandler = (event: unknown, context: Context) => unknown;

/** Finds the handler of a step (`validate-input`); throws a LambdaFunctionError when there is none. */
export type HandlerLoader = (step: string, functionName: string) => StepHandler;

/**
 * A failed invocation as Step Functions sees a Lambda failure: the error is the function's `errorType`, the cause
 * the JSON document the Node.js runtime reports (`{"errorType","errorMessage","trace"}`), exactly as in AWS — so
 * Catch/Retry rules and the steps that read a cause behave the same locally and in the cloud.
 */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[] = [],
  ) {
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
  }

  static from(error: unknown): LambdaFunctionError {
    if (error instanceof LambdaFunctionError) return error;
    if (error instanceof Error) return new LambdaFunctionError(error.name || 'Error', error.message, (error.stack ?? '').split('\n'));
    return new LambdaFunctionError('Error', String(error));
  }
}

/** `arn:aws:lambda:…:function:aep-validate-input` → `validate-input`; undefined for a function that is not a step. */
export function stepOfFunction(functionArnOrName: string): string | undefined {
  const name = functionArnOrName.split(':function:').pop()!.split(':')[0];
  return name.startsWith(FUNCTION_NAME_PREFIX) ? name.slice(FUNCTION_NAME_PREFIX.length) : undefined;
}

/**
 * The step function behind a Task's Resource ARN, run in this process the way the Lambda Node.js runtime runs it:
 * the payload crosses a JSON boundary both ways (text in, text out), the handler gets a Lambda context, and a failure becomes the error
 * and cause Step Functions records. The module is loaded on first invocation, so a missing handler fails the Task
 * with `Runtime.ImportModuleError` as a broken deployment package does in AWS, instead of failing start-up.
 * With `roleSession`, the handler's AWS calls are signed with its role's credentials (local/lambda/role-credentials.ts).
 */
export function stepFunction(
  functionArn: string,
  load: HandlerLoader = loadStepHandler,
  roleSession?: (step: string) => RoleSession | undefined,
): LocalFunction {
  const functionName = functionArn.split(':function:').pop()!;
  const step = stepOfFunction(functionArn);
  let handler: StepHandler | undefined;
  return async (payloadJson) => {
    try {
      if (step === undefined) {
        throw new LambdaFunctionError(
          'Runtime.ImportModuleError',
          `Error: function ${functionName} is not a pipeline step (expected ${FUNCTION_NAME_PREFIX}<folder under functions/>)`,
        );
      }
      handler ??= load(step, functionName);
      const run = handler;
      const event = JSON.parse(payloadJson) as unknown;
      const result = await runAsRole(roleSession?.(step), () => run(event, lambdaContext(functionArn, functionName)));
      return JSON.stringify(result ?? null);
    } catch (error) {
      throw LambdaFunctionError.from(error);
    }
  };
}

/**
 * Loads every step's handler ahead of its first invocation — seconds of module loading (the SDK clients, schemas)
 * that a deployment would otherwise wait for at its first Tasks — one handler per turn of the event loop, so requests
 * are served in between. A handler that does not load is left for its invocation to report (ImportModuleError).
 * Returns the function that stops loading (at shutdown).
 */
export function preloadStepHandlers(steps: readonly string[], functionsDir = FUNCTIONS_DIR): () => void {
  const queue = [...steps];
  let timer: NodeJS.Immediate | undefined;
  const next = () => {
    const step = queue.shift();
    if (step === undefined) return;
    timer = setImmediate(() => {
      try {
        loadStepHandler(step, FUNCTION_NAME_PREFIX + step, functionsDir);
      } catch {
        // reported when the step runs
      }
      next();
    });
  };
  next();
  return () => {
    queue.length = 0;
    clearImmediate(timer);
  };
}

/** functions/<step>/handler.ts's `handler`, required in this process (ts-jest or tsx compile it on the fly). */
export function loadStepHandler(step: string, functionName: string, functionsDir = FUNCTIONS_DIR): StepHandler {
  const dir = join(functionsDir, step);
  if (!existsSync(join(dir, 'handler.ts')) && !existsSync(join(dir, 'handler.js'))) {
    throw new LambdaFunctionError(
      'Runtime.ImportModuleError',
      `Error: Cannot find module 'handler' of function ${functionName}: ${dir}/handler.ts does not exist`,
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(join(dir, 'handler')) as { handler?: unknown };
  if (typeof module.handler !== 'function') {
    throw new LambdaFunctionError('Runtime.HandlerNotFound', `handler.handler is undefined or not exported (${dir}/handler.ts)`);
  }
  return module.handler as StepHandler;
}

function lambdaContext(functionArn: string, functionName: string): Context {
  const deadline = Date.now() + 300_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
