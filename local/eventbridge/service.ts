import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { AwsError } from '../aws-error';
import { checkWriteFault } from '../disk-faults';
import type { FaultInjector } from '../faults';
import { jsonService } from '../protocols/aws-json';
import { LOCAL_ACCOUNT_ID, type ServiceModule } from '../service';
import { matchesPattern, parsePattern } from './event-pattern';

/** An event on the bus, as rules match it and targets receive it. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface EventBridgeService extends ServiceModule {
  /** Puts an event of an AWS service (`aws.sagemaker`) on the default bus, as the service itself does. */
  emit(event: Omit<BusEvent, 'version' | 'id' | 'account' | 'time' | 'region'>): void;
  /** Events delivered to targets so far (the latest 1000): what benchmarks count as target invocations. */
  deliveries(): ReadonlyArray<{ rule: string; target: string; detailType: string; resources: string[] }>;
  /** PutRule + PutTargets in one, in-process (the pipeline's own rule, at start-up). */
  putRule(name: string, eventPattern: string, targets: Rule['targets']): void;
}

interface Rule {
  Name: string;
  Arn: string;
  EventPattern: string;
  State: 'ENABLED' | 'DISABLED';
  Description?: string;
  targets: { Id: string; Arn: string; Input?: string }[];
}

export interface EventBridgeOptions {
  dataDir: string;
  region: string;
  /** Delivers an event to a Lambda target (the embedded functions); rejects when the function fails. */
  invokeFunction: (functionArn: string, event: BusEvent) => Promise<unknown>;
  faults: FaultInjector;
  log?: (line: string) => void;
}

const DEFAULT_BUS = 'default';
const ruleInput = z.object({
  Name: z.string().optional(),
  EventPattern: z.string().optional(),
  ScheduleExpression: z.string().optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  Description: z.string().optional(),
  EventBusName: z.string().optional(),
});
const targetsInput = z.object({
  Rule: z.string().optional(),
  EventBusName: z.string().optional(),
  Targets: z.array(z.object({ Id: z.string(), Arn: z.string(), Input: z.string().optional() })).optional(),
  Ids: z.array(z.string()).optional(),
});
const eventsInput = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().optional(),
        DetailType: z.string().optional(),
        Detail: z.string().optional(),
        Resources: z.array(z.string()).optional(),
        EventBusName: z.string().optional(),
        Time: z.union([z.number(), z.string()]).optional(),
      }),
    )
    .optional(),
});

/**
 * The embedded EventBridge (awsJson1_1, `AWSEvents.*`), default bus only: rules with event patterns (PutRule,
 * DescribeRule, ListRules, DeleteRule), Lambda targets (PutTargets, ListTargetsByRule, RemoveTargets), PutEvents and
 * TestEventPattern. Matching events go to each target asynchronously, as EventBridge delivers; a fault rule
 * `{service: "events", operation: "InvokeTarget"}` drops deliveries (resource: `<rule>/<target ARN>`). Rules persist
 * under `<dataDir>/events`.
 */
export function createEventBridgeService(options: EventBridgeOptions): EventBridgeService {
  const file = join(options.dataDir, 'events', 'rules.json');
  const rules = new Map<string, Rule>(load(file).map((rule) => [rule.Name, rule]));
  /** Applies a change to the rules and writes them; when the write fails (a full disk) the rules are as before. */
  const commit = (change: () => void) => {
    const before = [...rules.entries()].map(([name, r]) => ({ name, r, targets: r.targets }));
    change();
    try {
      mkdirSync(join(options.dataDir, 'events'), { recursive: true });
      checkWriteFault(options.faults, file);
      writeFileSync(file, JSON.stringify([...rules.values()]));
    } catch (error) {
      rules.clear();
      for (const { name, r, targets } of before) rules.set(name, Object.assign(r, { targets }));
      throw error;
    }
  };
  const log = options.log ?? (() => undefined);
  const delivered: { rule: string; target: string; detailType: string; resources: string[] }[] = [];
  const ruleArn = (name: string) => `arn:aws:events:${options.region}:${LOCAL_ACCOUNT_ID}:rule/${name}`;

  const rule = (name: string | undefined, bus: string | undefined): Rule => {
    defaultBusOnly(bus);
    const found = rules.get(required(name, 'Name'));
    if (!found) throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${DEFAULT_BUS}.`);
    return found;
  };

  const deliver = (event: BusEvent) => {
    for (const r of rules.values()) {
      if (r.State !== 'ENABLED' || !matchesPattern(parsePattern(r.EventPattern), event)) continue;
      for (const target of r.targets) {
        const fault = options.faults.check({ service: 'events', operation: 'InvokeTarget', resource: `${r.Name}/${target.Arn}` });
        if (fault && 'error' in fault) {
          log(`events: ${event['detail-type']} not delivered to ${target.Arn} (rule ${r.Name}): ${fault.error.message}`);
          continue;
        }
        const payload = target.Input === undefined ? event : (JSON.parse(target.Input) as BusEvent);
        delivered.push({ rule: r.Name, target: target.Arn, detailType: event['detail-type'], resources: event.resources });
        if (delivered.length > 1000) delivered.shift();
        setImmediate(() => {
          options.invokeFunction(target.Arn, payload).catch((error: Error) => log(`events: target ${target.Arn} of rule ${r.Name} failed: ${error.message}`));
        });
      }
    }
  };

  const newEvent = (fields: Omit<BusEvent, 'version' | 'id' | 'account' | 'region'>): BusEvent => ({
    version: '0',
    id: randomUUID(),
    account: LOCAL_ACCOUNT_ID,
    region: options.region,
    ...fields,
  });

  const module = jsonService({
    name: 'events',
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    operations: {
      PutRule(input) {
        const request = parse(ruleInput, input);
        defaultBusOnly(request.EventBusName);
        const name = required(request.Name, 'Name');
        if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) throw validation(`Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
        if (request.ScheduleExpression !== undefined) throw validation('ScheduleExpression is not supported by the embedded EventBridge');
        const pattern = required(request.EventPattern, 'EventPattern');
        parsePattern(pattern);
        const existing = rules.get(name);
        commit(() =>
          rules.set(name, {
            Name: name,
            Arn: ruleArn(name),
            EventPattern: pattern,
            State: request.State ?? 'ENABLED',
            Description: request.Description,
            targets: existing?.targets ?? [],
          }),
        );
        return { RuleArn: ruleArn(name) };
      },
      DescribeRule(input) {
        const r = rule(parse(ruleInput, input).Name, parse(ruleInput, input).EventBusName);
        return { Name: r.Name, Arn: r.Arn, EventPattern: r.EventPattern, State: r.State, Description: r.Description, EventBusName: DEFAULT_BUS };
      },
      ListRules() {
        return { Rules: [...rules.values()].map((r) => ({ Name: r.Name, Arn: r.Arn, EventPattern: r.EventPattern, State: r.State, EventBusName: DEFAULT_BUS })) };
      },
      DeleteRule(input) {
        const request = parse(ruleInput, input);
        const r = rules.get(required(request.Name, 'Name'));
        if (r && r.targets.length > 0) throw new AwsError('ValidationException', 'Rule can\'t be deleted since it has targets.');
        if (r) commit(() => rules.delete(request.Name!));
        return {};
      },
      PutTargets(input) {
        const request = parse(targetsInput, input);
        const r = rule(request.Rule, request.EventBusName);
        for (const target of request.Targets ?? []) if (target.Input !== undefined) parseJsonText(target.Input, 'Input');
        commit(() => {
          for (const target of request.Targets ?? []) r.targets = [...r.targets.filter((t) => t.Id !== target.Id), target];
        });
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      RemoveTargets(input) {
        const request = parse(targetsInput, input);
        const r = rule(request.Rule, request.EventBusName);
        commit(() => (r.targets = r.targets.filter((t) => !(request.Ids ?? []).includes(t.Id))));
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      ListTargetsByRule(input) {
        const request = parse(targetsInput, input);
        return { Targets: rule(request.Rule, request.EventBusName).targets };
      },
      TestEventPattern(input) {
        const request = input as { EventPattern?: string; Event?: string };
        const pattern = parsePattern(required(request.EventPattern, 'EventPattern'));
        return { Result: matchesPattern(pattern, parseJsonText(required(request.Event, 'Event'), 'Event')) };
      },
      PutEvents(input) {
        const entries = parse(eventsInput, input).Entries ?? [];
        if (entries.length < 1 || entries.length > 10) {
          throw validation(`Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10`);
        }
        const results = entries.map((entry) => {
          if (entry.EventBusName !== undefined && entry.EventBusName !== DEFAULT_BUS && !entry.EventBusName.endsWith(':event-bus/default')) {
            return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` };
          }
          if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
            return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
          }
          if (entry.Source.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
          let detail: unknown;
          try {
            detail = JSON.parse(entry.Detail);
          } catch {
            detail = undefined;
          }
          if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
          const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
          const event = newEvent({ 'detail-type': entry.DetailType, source: entry.Source, time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'), resources: entry.Resources ?? [], detail });
          deliver(event);
          return { EventId: event.id };
        });
        return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
      },
    },
  });

  return {
    ...module,
    deliveries: () => delivered,
    putRule(name, eventPattern, targets) {
      parsePattern(eventPattern);
      commit(() => rules.set(name, { Name: name, Arn: ruleArn(name), EventPattern: eventPattern, State: 'ENABLED', targets }));
    },
    emit(fields) {
      deliver(newEvent({ ...fields, time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }));
    },
  };
}

function load(file: string): Rule[] {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Rule[];
  } catch {
    return [];
  }
}

function defaultBusOnly(bus: string | undefined): void {
  if (bus !== undefined && bus !== DEFAULT_BUS && !bus.endsWith(':event-bus/default')) {
    throw new AwsError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
  }
}

function parseJsonText(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw validation(`${field} is not valid JSON`);
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new AwsError('SerializationException', `${parsed.error.issues[0].path.join('.') || 'request'}: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

function required(value: string | undefined, field: string): string {
  if (value === undefined) throw validation(`Value null at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return value;
}

const validation = (detail: string) => new AwsError('ValidationException', `1 validation error detected: ${detail}`);
