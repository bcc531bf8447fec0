/** A history event as GetExecutionHistory returns it: only the fields billing looks at. */
export interface BilledEvent {
  type?: string;
  stateEnteredEventDetails?: { name?: string };
  taskScheduledEventDetails?: { resourceType?: string };
}

/** What one execution costs in the units AWS bills a Standard workflow and its Lambda steps by. */
export interface ExecutionBill {
  /** Every state entered (Task, Choice, Wait, Pass, Map, Succeed, Fail; inside Map iterations too), plus retries. */
  stateTransitions: number;
  /** Lambda invocations: every LambdaFunctionScheduled and every callback Task that invokes a Lambda, retries included. */
  lambdaInvocations: number;
  /** Attempts beyond the first of a Task: AWS counts each retry as a state transition. */
  retries: number;
  /** State entries per state name, to see where transitions go (the poll loops, mostly). */
  entriesByState: Record<string, number>;
}

/**
 * Counts an execution's history the way AWS bills Standard workflows: "a state transition each time a step of the
 * workflow is executed, including retries". A Lambda Task entered once and scheduled three times (two retries) is
 * three transitions.
 */
export function billExecution(events: readonly BilledEvent[]): ExecutionBill {
  const entriesByState: Record<string, number> = {};
  let entries = 0;
  let taskEntries = 0;
  let lambdaInvocations = 0;
  for (const event of events) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      entries++;
      if (type === 'TaskStateEntered') taskEntries++;
      const name = event.stateEnteredEventDetails?.name ?? '(unnamed)';
      entriesByState[name] = (entriesByState[name] ?? 0) + 1;
    } else if (type === 'LambdaFunctionScheduled' || (type === 'TaskScheduled' && event.taskScheduledEventDetails?.resourceType === 'lambda')) {
      lambdaInvocations++;
    }
  }
  const retries = Math.max(0, lambdaInvocations - taskEntries);
  return { stateTransitions: entries + retries, lambdaInvocations, retries, entriesByState };
}
