import { readFileSync } from 'node:fs';
import { describeIssues, executionInputSchema, type ExecutionInput } from '../functions/lib/deployment-input';
import { UsageError } from './cli-errors';

/** One `--set key=value`: a dotted path (`smokeTests.0.compare.k`, `async.invocationTimeoutSeconds`) and its value. */
export interface Assignment {
  path: Array<string | number>;
  value: unknown;
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Parses `key=value`. The value is JSON when it parses as JSON (`5`, `true`, `{"A":"1"}`, `"007"`), else the
 * literal text (`--set image=local/recommender:latest`). Path segments are names or array indexes
 * (`smokeTests.0.name` or `smokeTests[0].name`).
 */
export function parseAssignment(text: string): Assignment {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects key=value, got "${text}"`, 'Example: --set instanceCount=2 --set environment.LOG_LEVEL=debug');
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  const path = key
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .map((segment) => segment.trim());
  if (path.some((s) => s === '')) throw new UsageError(`--set has an empty path segment in "${key}"`);
  const bad = path.find((s) => FORBIDDEN_SEGMENTS.has(s));
  if (bad) throw new UsageError(`--set cannot write "${bad}" (in "${key}")`);
  return { path: path.map((s) => (/^\d+$/.test(s) ? Number(s) : s)), value: parseValue(raw) };
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Writes `value` at `path` in `target`, creating objects (or arrays, for numeric segments) on the way. */
export function applyAssignment(target: Record<string, unknown>, { path, value }: Assignment): void {
  let node: Record<string | number, unknown> = target;
  path.forEach((segment, i) => {
    if (i === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (typeof next !== 'object' || next === null) node[segment] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[segment] as Record<string | number, unknown>;
  });
}

export interface InputSources {
  /** Path of a deploy.json or full execution input. */
  inputFile?: string;
  sets?: string[];
  modelUri?: string;
  endpointName?: string;
}

/**
 * The execution input, layered file ← --set ← flags, and checked with the very schema ValidateInput uses, so a
 * typo fails here (exit 2, the field named) instead of minutes later in the cloud.
 * Returns the input as given (not the parsed form with defaults): the same flags give byte-identical input, which
 * is what makes a repeated `--name` recognisable by StartExecution.
 */
export function buildExecutionInput(sources: InputSources): ExecutionInput {
  const input: Record<string, unknown> = sources.inputFile ? readInputFile(sources.inputFile) : {};
  for (const text of sources.sets ?? []) applyAssignment(input, parseAssignment(text));
  if (sources.modelUri !== undefined) input.modelDataUrl = sources.modelUri;
  if (sources.endpointName !== undefined) input.endpointName = sources.endpointName;
  const checked = executionInputSchema.safeParse(input);
  if (!checked.success) {
    const issues = describeIssues(checked.error).split('; ');
    throw new UsageError(`Invalid execution input:\n    ${issues.join('\n    ')}`, hintFor(input));
  }
  return input as ExecutionInput;
}

function hintFor(input: Record<string, unknown>): string | undefined {
  return input.modelDataUrl === undefined ? 'Give the artifact with --model-uri s3://bucket/models/<endpoint>/model.tar.gz' : undefined;
}

function readInputFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read --input ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--input ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--input ${file} must hold a JSON object (a deploy.json or an execution input)`);
  }
  return parsed as Record<string, unknown>;
}
