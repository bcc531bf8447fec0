import * as z from 'zod';
import type { AwsError } from './aws-error';

/**
 * Parses an operation's input with its zod schema; a bad input becomes the AWS error `makeError` builds from the
 * Coral-style message every AWS front end writes: "2 validation errors detected: Value '7' at 'period' failed to
 * satisfy constraint: Member must …; …". List members are numbered from 1 (`metricData.1.member.value`).
 */
export function parseOrRefuse<T extends z.ZodType>(schema: T, input: unknown, makeError: (message: string) => AwsError): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw makeError(validationMessage(parsed.error.issues, input));
}

/** "N validation errors detected: Value … at '…' failed to satisfy constraint: Member must …; …" for zod issues. */
export function validationMessage(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  const detail = issues.map((issue) => describeIssue(issue, input)).join('; ');
  return `${issues.length} validation error${issues.length > 1 ? 's' : ''} detected: ${detail}`;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const value = valueAt(input, issue.path);
  const shown = value === undefined || value === null ? 'null' : `'${typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : JSON.stringify(value)}'`;
  return `Value ${shown} at '${memberPath(issue.path)}' failed to satisfy constraint: ${constraint(issue, value)}`;
}

/** AWS's member path: lower camel case, list members as `1.member` (1-based). */
export function memberPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `${part + 1}.member` : String(part).replace(/^[A-Z]/, (c) => c.toLowerCase()))).join('.');
}

export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
}

/** A schema's own "Member must …" message, else AWS's wording for the kind of constraint zod reports. */
function constraint(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.message.startsWith('Member must')) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined || value === null ? 'Member must not be null' : issue.message;
    case 'too_big':
      return `Member must have ${issue.origin === 'number' || issue.origin === 'int' ? 'value' : 'length'} less than or equal to ${issue.maximum}`;
    case 'too_small':
      return `Member must have ${issue.origin === 'number' || issue.origin === 'int' ? 'value' : 'length'} greater than or equal to ${issue.minimum}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern ? `Member must satisfy regular expression pattern: ${awsPattern(issue.pattern)}` : issue.message;
    case 'invalid_value':
      return `Member must satisfy enum value set: [${issue.values.map(String).join(', ')}]`;
    default:
      return issue.message;
  }
}

/** AWS prints patterns without the anchors a regular expression here needs. */
const awsPattern = (pattern: string) => pattern.replace(/^\/?\^/, '').replace(/\$\/[a-z]*$|\/[a-z]*$|\$$/, '');

/** Numbers arrive as strings over the Query protocol and as numbers over JSON and CBOR. */
export const numberInput = () =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number({ error: 'Member must be a number' }).refine(Number.isFinite, 'Member must be a finite number'));

export const integerInput = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z
      .number({ error: 'Member must be an integer' })
      .int('Member must be an integer')
      .min(min, `Member must have value greater than or equal to ${min}`)
      .max(max, `Member must have value less than or equal to ${max}`),
  );

export const booleanInput = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'Member must be a boolean' }));

/** A timestamp: a Date (CBOR), epoch seconds (JSON) or ISO 8601 (Query). */
export const timestampInput = () =>
  z.preprocess(
    (v) => (typeof v === 'number' ? new Date(v * 1000) : typeof v === 'string' ? new Date(/^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : v) : v),
    z.date({ error: 'Member must be a timestamp' }).refine((d) => !Number.isNaN(d.getTime()), 'Member must be a timestamp'),
  );

export const stringInput = (min: number, max: number) =>
  z
    .string({ error: 'Member must not be null' })
    .min(min, `Member must have length greater than or equal to ${min}`)
    .max(max, `Member must have length less than or equal to ${max}`);

export const enumInput = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `Member must satisfy enum value set: [${values.join(', ')}]` });

export const listInput = <T extends z.ZodType>(item: T, max: number, min = 0) =>
  z
    .array(item, { error: 'Member must be a list' })
    .min(min, `Member must have length greater than or equal to ${min}`)
    .max(max, `Member must have length less than or equal to ${max}`);
