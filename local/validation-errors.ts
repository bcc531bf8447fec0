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
  const issues = parsed.error.issues;
  const detail = issues.map((issue) => describeIssue(issue, input)).join('; ');
  throw makeError(`${issues.length} validation error${issues.length > 1 ? 's' : ''} detected: ${detail}`);
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const value = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], input);
  const field = issue.path
    .map((part) => (typeof part === 'number' ? `${part + 1}.member` : String(part).replace(/^[A-Z]/, (c) => c.toLowerCase())))
    .join('.');
  const shown = value === undefined || value === null ? 'null' : `'${typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : JSON.stringify(value)}'`;
  return `Value ${shown} at '${field}' failed to satisfy constraint: ${issue.message}`;
}

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
