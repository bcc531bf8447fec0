import type * as z from 'zod';
import { closest } from './closest';

/**
 * Zod's issues in the words of the input they describe: one line per problem naming the field
 * (`smokeTests[0].compare.k: too small: expected number to be >=1`), a missing field said to be required, and an
 * unknown field with the known one it was probably meant to be (`unknown field "instanceCnt" — did you mean instanceCount?`).
 */
export function describeIssues(error: z.ZodError, knownFields: readonly string[] = []): string {
  return error.issues.map((issue) => `${fieldPath(issue.path) || '(input)'}: ${issueText(issue, knownFields)}`).join('; ');
}

function issueText(issue: z.core.$ZodIssue, knownFields: readonly string[]): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => {
        const guess = closest(key, knownFields);
        return `unknown field "${key}"${guess ? ` (did you mean ${guess}?)` : ''}`;
      })
      .join(', ');
  }
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `is required (${issue.expected})`;
  // zod's own wording starts "Invalid input: …" / "Too small: …"; as a continuation after the field, lower case reads better.
  return issue.message.replace(/^Invalid input: /, '').replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
}

function fieldPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

/** Every object key a schema knows, at any depth: the vocabulary for "did you mean". */
export function fieldNames(schema: z.ZodType): string[] {
  const names = new Set<string>();
  const walk = (s: unknown): void => {
    const def = (s as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return;
    if (def.type === 'object') {
      for (const [key, value] of Object.entries(def.shape as Record<string, unknown>)) {
        names.add(key);
        walk(value);
      }
    }
    for (const inner of [def.innerType, def.element, def.in, def.out, def.valueType, ...((def.options as unknown[]) ?? [])]) walk(inner);
  };
  walk(schema);
  return [...names];
}
