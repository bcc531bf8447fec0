import { LOCAL_ACCOUNT_ID } from '../../service';
import { requestTagContext, type AuthorizationCheck, type CallAuthorization, type ContextValues } from './check';

type Tags = Array<{ Key: string; Value: string }>;

/**
 * EventBridge's authorization (Service Authorization Reference, "Actions defined by Amazon EventBridge") on the
 * default bus: rule actions on `arn:aws:events:<region>:<account>:rule/<name>` — PutRule with the tags it sets and
 * the events:source / events:detail-type its pattern matches, PutTargets with events:TargetArn; PutEvents on the bus
 * `event-bus/default`, once per entry with that entry's events:source and events:detail-type; ListRules and
 * TestEventPattern on `*`.
 */
export const eventBridgeAuthorization: CallAuthorization = (operation, input, ctx) => {
  const action = `events:${operation}`;
  const arn = (resource: string) => `arn:aws:events:${ctx.region}:${LOCAL_ACCOUNT_ID}:${resource}`;
  const rule = (name: unknown, context: ContextValues = {}): AuthorizationCheck[] => [{ action, resource: arn(`rule/${String(name)}`), context }];
  switch (operation) {
    case 'PutRule':
      return rule(input.Name, { ...requestTagContext(input.Tags as Tags | undefined), ...patternContext(input.EventPattern) });
    case 'PutTargets': {
      const targets = Array.isArray(input.Targets) ? (input.Targets as Array<{ Arn?: unknown }>) : [];
      return rule(input.Rule, { 'events:TargetArn': targets.map((t) => String(t.Arn)) });
    }
    case 'RemoveTargets':
    case 'ListTargetsByRule':
      return rule(input.Rule);
    case 'DescribeRule':
    case 'DeleteRule':
    case 'EnableRule':
    case 'DisableRule':
      return rule(input.Name);
    case 'PutEvents': {
      const entries = Array.isArray(input.Entries) ? (input.Entries as Array<Record<string, unknown>>) : [];
      return entries.map((entry) => ({
        action,
        resource: arn(`event-bus/${String(entry.EventBusName ?? 'default')}`),
        context: { 'events:source': String(entry.Source ?? ''), 'events:detail-type': String(entry.DetailType ?? '') },
      }));
    }
    default:
      return [{ action, resource: '*' }];
  }
};

/** The sources and detail types an event pattern matches exactly (plain string values), for PutRule's condition keys. */
function patternContext(pattern: unknown): ContextValues {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(String(pattern)) as Record<string, unknown>;
  } catch {
    return {};
  }
  const context: ContextValues = {};
  for (const [field, key] of [['source', 'events:source'], ['detail-type', 'events:detail-type']] as const) {
    const values = Array.isArray(parsed?.[field]) ? (parsed[field] as unknown[]).filter((v): v is string => typeof v === 'string') : [];
    if (values.length > 0) context[key] = values;
  }
  return context;
}
