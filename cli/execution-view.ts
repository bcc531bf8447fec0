import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, DescribeStateMachineForExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { s3, sfn } from '../functions/lib/clients';
import { parseS3Uri } from '../functions/lib/s3-uri';
import { readHistory } from './execution-follower';
import { buildRunReport, type RunReport } from './run-report';
import { RunProgress } from './run-progress';

/**
 * Everything the console page and the HTML report show about one execution, as one JSON document: the run report,
 * the workflow definition it ran (the graph is drawn from it), what happened in each state, the gate's comparison
 * reports, the audit record and the event history. Built only from Step Functions and S3 APIs, so it works against
 * AWS and the embedded AWS alike; the browser code in local/console/ui renders it (the same code for both views).
 */
export interface ExecutionView {
  generatedAt: string;
  report: RunReport;
  /** The ASL definition of the execution's state machine, parsed (undefined when it could not be read). */
  definition?: unknown;
  /** Per state name (AWS keeps names unique across a whole state machine, Map iterations included). */
  states: Record<string, StateOutcome>;
  /** The SmokeTests comparison reports (reports/<endpoint>/<execution>/<case>.json), by case name. */
  comparisons: Record<string, unknown>;
  /** Each smoke case's payload object, by case name (from the resolved config). */
  payloads: Record<string, string>;
  audit?: unknown;
  /** Why a part is missing (an audit record not written yet, a report not readable…). */
  gaps: string[];
  events: EventSummary[];
  /** True when only the first MAX_EVENTS events are listed (the timings still cover them all). */
  eventsTruncated: boolean;
}

export type StateStatus = 'succeeded' | 'failed' | 'retried' | 'running' | 'caught';

export interface StateOutcome {
  status: StateStatus;
  entries: number;
  /** Entries of a Wait state: the polls of its loop. */
  polls: number;
  retries: number;
  totalSeconds: number;
  errors: { error: string; cause: string; retried: boolean }[];
}

export interface EventSummary {
  id: number;
  type: string;
  timestamp: string;
  state?: string;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** A history of thousands of poll events stays readable and the report stays small. */
const MAX_EVENTS = 2000;
/** Inputs/outputs are cut to this many characters per event. */
const MAX_DATA_CHARS = 4096;

export interface ViewOptions {
  /** The artifacts bucket: where a failed run's audit record is (a succeeded run's output names it). */
  artifactsBucket?: string;
}

export async function loadExecutionView(executionArn: string, options: ViewOptions = {}): Promise<ExecutionView> {
  // Described before the history is read: when it says finished, the history read next is complete.
  const execution = await sfn().send(new DescribeExecutionCommand({ executionArn }));
  const events = await readHistory(executionArn);
  const progress = new RunProgress();
  progress.apply(events);
  const report = buildRunReport(execution, progress, options);
  const gaps: string[] = [];

  const definition = await sfn()
    .send(new DescribeStateMachineForExecutionCommand({ executionArn }))
    .then((d) => JSON.parse(d.definition ?? 'null') as unknown)
    .catch((error: Error) => {
      gaps.push(`workflow definition: ${error.message}`);
      return undefined;
    });

  const comparisons: Record<string, unknown> = {};
  await Promise.all(
    report.cases.map(async (c) => {
      if (!c.reportUri) return;
      const read = await readJson(c.reportUri);
      if ('value' in read) comparisons[c.name] = read.value;
      else gaps.push(`comparison report of ${c.name}: ${read.problem}`);
    }),
  );

  let audit: unknown;
  if (report.status !== 'RUNNING' && report.auditUri) {
    const read = await readJson(report.auditUri);
    if ('value' in read) audit = read.value;
    else gaps.push(`audit record ${report.auditUri}: ${read.problem}`);
  }

  return {
    generatedAt: new Date().toISOString(),
    report,
    definition,
    states: stateOutcomes(progress, report),
    comparisons,
    payloads: payloadsOf(events),
    audit,
    gaps,
    events: events.slice(0, MAX_EVENTS).map((e) => summarize(e, progress)),
    eventsTruncated: events.length > MAX_EVENTS,
  };
}

/** What happened in each state entered: its colour in the graph and its line in the timings table. */
export function stateOutcomes(progress: RunProgress, report: RunReport): Record<string, StateOutcome> {
  const outcomes: Record<string, StateOutcome> = {};
  const timing = new Map(report.states.map((s) => [s.state, s]));
  for (const visit of progress.visits) {
    const outcome = (outcomes[visit.state] ??= {
      status: 'succeeded',
      entries: 0,
      polls: 0,
      retries: 0,
      totalSeconds: timing.get(visit.state)?.totalSeconds ?? 0,
      errors: [],
    });
    outcome.entries += 1;
    if (visit.stateKind === 'Wait') outcome.polls += 1;
    if (visit.stateKind === 'Fail') outcome.status = 'failed';
    if (!visit.exitedAt && report.status === 'RUNNING') outcome.status = 'running';
  }
  for (const failure of progress.failures) {
    const outcome = outcomes[failure.state];
    if (!outcome) continue;
    // A failure a Catch carried on from (a callback's re-check) counts, like a retry, as recovered.
    const recovered = failure.retried || failure.continued;
    outcome.errors.push({ error: failure.error, cause: failure.cause, retried: recovered });
    if (recovered) outcome.retries += 1;
  }
  for (const [state, outcome] of Object.entries(outcomes)) {
    if (outcome.status !== 'succeeded') continue;
    if (state === report.error?.state) outcome.status = 'failed';
    else if (outcome.errors.some((e) => !e.retried)) outcome.status = 'caught';
    else if (outcome.retries > 0) outcome.status = 'retried';
  }
  return outcomes;
}

/** The smoke cases' payloads, from the first state output that carries the resolved config (ValidateInput's). */
function payloadsOf(events: HistoryEvent[]): Record<string, string> {
  for (const event of events) {
    const output = event.stateExitedEventDetails?.output;
    if (!output?.includes('"smokeTests"')) continue;
    try {
      const tests = (JSON.parse(output) as { config?: { smokeTests?: { name?: unknown; payloadUri?: unknown }[] } }).config?.smokeTests;
      if (!Array.isArray(tests)) continue;
      return Object.fromEntries(tests.filter((t) => typeof t.name === 'string' && typeof t.payloadUri === 'string').map((t) => [t.name, t.payloadUri]));
    } catch {
      continue;
    }
  }
  return {};
}

function summarize(event: HistoryEvent, progress: RunProgress): EventSummary {
  let state: string | undefined;
  let input: string | undefined;
  let output: string | undefined;
  let error: string | undefined;
  let cause: string | undefined;
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    const d = value as Record<string, unknown>;
    if (typeof d.name === 'string') state = d.name;
    if (typeof d.input === 'string') input = cut(d.input);
    if (typeof d.output === 'string') output = cut(d.output);
    if (d.error !== undefined) error = String(d.error);
    if (d.cause !== undefined) cause = cut(String(d.cause));
  }
  state ??= progress.visits.find((v) => v.entryId === event.previousEventId)?.state;
  return {
    id: event.id ?? 0,
    type: String(event.type),
    timestamp: (event.timestamp ?? new Date(0)).toISOString(),
    ...(state !== undefined ? { state } : {}),
    ...(input !== undefined ? { input } : {}),
    ...(output !== undefined ? { output } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(cause !== undefined ? { cause } : {}),
  };
}

const cut = (text: string) => (text.length <= MAX_DATA_CHARS ? text : `${text.slice(0, MAX_DATA_CHARS)}… (${text.length} characters)`);

async function readJson(uri: string): Promise<{ value: unknown } | { problem: string }> {
  try {
    const location = parseS3Uri(uri);
    if (!location) return { problem: 'not an s3:// URI' };
    const object = await s3().send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return { value: JSON.parse((await object.Body?.transformToString('utf8')) ?? 'null') as unknown };
  } catch (error) {
    const e = error as Error;
    return { problem: e.name === 'NoSuchKey' ? 'not written (yet)' : e.message };
  }
}
