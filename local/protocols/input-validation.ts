import type * as z from 'zod';
import { AwsError } from '../aws-error';
import { memberPath, validationMessage, valueAt } from '../validation-errors';

/**
 * Checks a JSON-protocol operation's input against its shape and refuses a bad one as AWS's JSON services do: a
 * member of the wrong JSON type fails deserialization (SerializationException); constraint failures are listed all at
 * once in AWS's wording (local/validation-errors.ts), e.g. "1 validation error detected: Value 'x' at
 * 'productionVariants.1.member.instanceType' failed to satisfy constraint: Member must satisfy enum value set: […]".
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, errorCode = 'ValidationException'): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    if (issue.code === 'invalid_type' && valueAt(input, issue.path) !== undefined && valueAt(input, issue.path) !== null) {
      throw new AwsError('SerializationException', `Value at '${memberPath(issue.path)}' is not a valid ${issue.expected}`, 400);
    }
  }
  throw new AwsError(errorCode, validationMessage(parsed.error.issues, input), 400);
}
