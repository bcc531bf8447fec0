import * as z from 'zod';
import { AwsError } from './aws-error';

/**
 * Fault injection for the embedded AWS: rules that make matching calls fail or stall, so tests can prove what the
 * pipeline does when AWS misbehaves. Rules are set per test over the loopback admin route `/_aep/faults`
 * (or in-process) and matched by service, operation and resource.
 */
export const faultRuleSchema = z.strictObject({
  /**
   * The embedded service: s3, sagemaker, sagemaker-runtime, sns, sts, states, lambda (a step's handler), or disk
   * (a write to the data dir, operation `write`, resource the file's path; see disk-faults.ts).
   */
  service: z.string().min(1),
  /** X-Amz-Target operation (CreateEndpoint), S3 operation (PutObject, GetObject…), or a step's state name. Omit: any. */
  operation: z.string().optional(),
  /** Substring of the resource: S3 `bucket/key`, an endpoint name… Omit: any. */
  resource: z.string().optional(),
  /** Share of matching calls that fail, 0..1 (deterministic sequence per rule). */
  rate: z.number().min(0).max(1).default(1),
  /** Fail at most this many calls, then the rule is spent. Omit: unlimited. */
  count: z.number().int().min(1).optional(),
  error: z
    .strictObject({ code: z.string(), message: z.string().default('Injected fault'), status: z.number().int().min(400).max(599).default(500) })
    .optional(),
  /** Stall matching calls this long before serving them normally. */
  delayMs: z.number().int().min(0).max(600_000).optional(),
  /**
   * Service `lambda` only: `after` runs the step's handler first and then fails the call with `error` (the work is
   * done, its result lost — a Lambda that crashed or timed out after its side effects), which is what step
   * idempotency must survive. Default `before`: the handler never runs.
   */
  phase: z.enum(['before', 'after']).default('before'),
});
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
type FaultRule = z.infer<typeof faultRuleSchema> & { id: string; seen: number; fired: number };

export interface FaultCall {
  service: string;
  operation?: string;
  resource?: string;
}

/** `after`: fail once the step's handler has run (lambda rules of phase `after`). */
export type FaultOutcome = { error: AwsError; after?: true } | { delayMs: number } | undefined;

export class FaultInjector {
  private rules: FaultRule[] = [];
  private nextId = 1;

  add(input: FaultRuleInput): string {
    const rule = faultRuleSchema.parse(input);
    const id = `fault-${this.nextId++}`;
    this.rules.push({ ...rule, id, seen: 0, fired: 0 });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): ReadonlyArray<Readonly<FaultRule>> {
    return this.rules;
  }

  /** Decides the fate of one call; the first matching live rule wins. */
  check(call: FaultCall): FaultOutcome {
    for (const rule of this.rules) {
      if (!matches(rule, call)) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      rule.seen += 1;
      // Fire on the calls where the running share crosses a whole number: exact rates, no randomness to flake on.
      if (Math.floor(rule.seen * rule.rate) === Math.floor((rule.seen - 1) * rule.rate)) continue;
      rule.fired += 1;
      if (rule.error) {
        const error = new AwsError(rule.error.code, rule.error.message, rule.error.status);
        return rule.phase === 'after' ? { error, after: true } : { error };
      }
      if (rule.delayMs !== undefined) return { delayMs: rule.delayMs };
    }
    return undefined;
  }
}

function matches(rule: FaultRule, call: FaultCall): boolean {
  return (
    rule.service === call.service &&
    (rule.operation === undefined || rule.operation === call.operation) &&
    (rule.resource === undefined || (call.resource ?? '').includes(rule.resource))
  );
}
