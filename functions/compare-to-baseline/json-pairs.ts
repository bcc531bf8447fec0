/**
 * A parallel walk of two JSON documents, the common ground of the `exact` and `numeric` comparisons: primitives
 * at the same path are handed to `leaf`; anything that makes the two shapes differ (a type, an array length, a
 * key present on one side only) to `shape`, once per place, and that branch is not walked further.
 */
export type JsonPrimitive = string | number | boolean | null;

export interface PairVisitor {
  leaf(path: string, output: JsonPrimitive, baseline: JsonPrimitive): void;
  shape(path: string, detail: string): void;
}

export function walkPairs(output: unknown, baseline: unknown, visitor: PairVisitor, path = '$'): void {
  const outputKind = kindOf(output);
  const baselineKind = kindOf(baseline);
  if (outputKind !== baselineKind) {
    visitor.shape(path, `output has ${outputKind} ${preview(output)}, baseline has ${baselineKind} ${preview(baseline)}`);
    return;
  }
  if (outputKind === 'array') {
    const a = output as unknown[];
    const b = baseline as unknown[];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const itemPath = `${path}[${i}]`;
      if (i >= a.length) visitor.shape(itemPath, `missing in output (baseline has ${preview(b[i])})`);
      else if (i >= b.length) visitor.shape(itemPath, `missing in baseline (output has ${preview(a[i])})`);
      else walkPairs(a[i], b[i], visitor, itemPath);
    }
    return;
  }
  if (outputKind === 'object') {
    const a = output as Record<string, unknown>;
    const b = baseline as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const keyPath = memberPath(path, key);
      if (!(key in a)) visitor.shape(keyPath, `missing in output (baseline has ${preview(b[key])})`);
      else if (!(key in b)) visitor.shape(keyPath, `missing in baseline (output has ${preview(a[key])})`);
      else walkPairs(a[key], b[key], visitor, keyPath);
    }
    return;
  }
  visitor.leaf(path, output as JsonPrimitive, baseline as JsonPrimitive);
}

type Kind = 'array' | 'object' | 'string' | 'number' | 'boolean' | 'null';

function kindOf(value: unknown): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as Kind;
}

/** `$.a.b` for identifier-like keys, `$['odd key']` otherwise: a path a person can paste into a JSONPath tool. */
export function memberPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key).replace(/^"|"$/g, "'")}]`;
}

/** A short rendering of a value for a one-line difference. */
export function preview(value: unknown, max = 40): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
