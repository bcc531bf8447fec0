import type * as z from 'zod';
import { AwsError } from '../aws-error';

/**
 * Checks an operation's input against its shape and refuses a bad one as AWS's JSON services do: a member of the
 * wrong JSON type fails deserialization (SerializationException); constraint failures are listed all at once as
 * "N validation errors detected: Value 'x' at 'productionVariants.1.member.instanceType' failed to satisfy
 * constraint: Member must …", with AWS's member paths (lower camel case, lists as `1.member`, 1-based).
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, errorCode = 'ValidationException'): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ issue, value: valueAt(input, issue.path) }));
  for (const { issue, value } of issues) {
    if (issue.code === 'invalid_type' && value !== undefined) {
      throw new AwsError('SerializationException', `Value at '${memberPath(issue.path)}' is not a valid ${issue.expected}`, 400);
    }
  }
  const detail = issues.map(({ issue, value }) => `Value ${quote(value)} at '${memberPath(issue.path)}' failed to satisfy constraint: ${constraint(issue)}`);
  throw new AwsError(errorCode, `${detail.length} validation error${detail.length > 1 ? 's' : ''} detected: ${detail.join('; ')}`, 400);
}

/** AWS's wording for each kind of constraint (the same words every Coral-based service uses). */
function constraint(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return 'Member must not be null';
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

function memberPath(path: PropertyKey[]): string {
  return path
    .map((part) => (typeof part === 'number' ? `${part + 1}.member` : String(part).replace(/^[A-Z]/, (c) => c.toLowerCase())))
    .join('.');
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
}

function quote(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
}
