import * as z from 'zod';

/**
 * Step Functions' request shapes with the constraints of its API model. Members the API requires stay optional here:
 * the service checks them itself (`required`), so in-process callers share one path. Lengths of `name` and the input
 * size are checked by StartExecution with Step Functions' own wording.
 */
const arn = z.string().min(1).max(256);
const maxResults = z.number().int().min(0).max(1000);
const token = (max: number) => z.string().min(1).max(max);
const includedData = z.enum(['ALL_DATA', 'METADATA_ONLY']);

export const startSchema = z.object({
  stateMachineArn: arn.optional(),
  name: z.string().optional(),
  input: z.string().optional(),
  traceHeader: z.string().max(256).regex(/^[\x00-\x7F]*$/).optional(),
});
export const executionArnSchema = z.object({ executionArn: arn.optional(), includedData: includedData.optional() });
export const historySchema = z.object({
  executionArn: arn.optional(),
  maxResults: maxResults.optional(),
  nextToken: token(1024).optional(),
  reverseOrder: z.boolean().optional(),
  includeExecutionData: z.boolean().optional(),
});
export const listSchema = z.object({
  stateMachineArn: arn.optional(),
  statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']).optional(),
  maxResults: maxResults.optional(),
  nextToken: token(3096).optional(),
});
export const stopSchema = z.object({ executionArn: arn.optional(), error: z.string().max(256).optional(), cause: z.string().max(32_768).optional() });
export const stateMachineArnSchema = z.object({ stateMachineArn: arn.optional(), includedData: includedData.optional() });
export const pageSchema = z.object({ maxResults: maxResults.optional(), nextToken: token(1024).optional() });
export const taskTokenSchema = z.object({ taskToken: z.string().min(1).max(2048).optional() });
export const taskSuccessSchema = taskTokenSchema.extend({ output: z.string().max(262_144).optional() });
export const taskFailureSchema = taskTokenSchema.extend({ error: z.string().max(256).optional(), cause: z.string().max(32_768).optional() });
