/**
 * The few CloudFormation intrinsic functions a synthesized CDK template uses in policies and environments
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split), evaluated with the embedded AWS's own names.
 */
export type Reference = (logicalId: string, attribute?: string) => string;

export class UnresolvableTemplateValue extends Error {
  override readonly name = 'UnresolvableTemplateValue';
}

export function resolveIntrinsics(value: unknown, reference: Reference): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, reference));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0];
    const text = (v: unknown) => String(resolveIntrinsics(v, reference));
    switch (fn) {
      case 'Ref':
        return reference(String(arg));
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/);
        return reference(id, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolveIntrinsics(parts, reference) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (resolveIntrinsics(list, reference) as unknown[])[Number(text(index))];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return text(source).split(separator);
      }
      case 'Fn::Sub': {
        const [template, variables = {}] = (Array.isArray(arg) ? arg : [arg]) as [string, Record<string, unknown>?];
        return template.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
          if (Object.hasOwn(variables, name)) return text(variables[name]);
          const [id, attribute] = name.split(/\.(.*)/);
          return reference(id, attribute || undefined);
        });
      }
      default:
        if (fn.startsWith('Fn::')) throw new UnresolvableTemplateValue(`${fn} is not supported in policies`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, reference)]));
}
