import { createHash } from 'node:crypto';

/** SageMaker accepts InferenceIds of at most 64 characters. */
export const INFERENCE_ID_MAX = 64;
const HASH_LENGTH = 10;

/**
 * The InferenceId of one smoke case of one execution: readable (execution and case name) and deterministic, so a
 * retried SmokeInvoke sends the same id. The hash of the exact names keeps ids unique after sanitising
 * ("a_b" and "a.b" both become "a-b") and truncating long execution names.
 */
export function inferenceId(executionName: string, caseName: string): string {
  const hash = createHash('sha256').update(`${executionName}\n${caseName}`).digest('hex').slice(0, HASH_LENGTH);
  const readable = `${executionName}-${caseName}`
    .replace(/[^a-zA-Z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, INFERENCE_ID_MAX - HASH_LENGTH - 1)
    .replace(/-$/, '');
  return readable ? `${readable}-${hash}` : hash;
}
