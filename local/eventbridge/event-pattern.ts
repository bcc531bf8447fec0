import { AwsError } from '../aws-error';

/**
 * EventBridge event patterns: every field of the pattern must match the event. A leaf is an array of alternatives —
 * exact values, or `{"prefix": …}`, `{"suffix": …}`, `{"anything-but": value | [values] | {"prefix": …}}`,
 * `{"exists": bool}`, `{"numeric": [op, n, …]}`; an array in the event matches when any element does.
 */
export type EventPattern = { [field: string]: EventPattern | unknown[] };

export function parsePattern(text: string): EventPattern {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw invalidPattern('Event pattern is not valid JSON');
  }
  check(pattern, '');
  return pattern as EventPattern;
}

export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    const value = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[field] : undefined;
    if (Array.isArray(rule)) return rule.some((alternative) => matchesLeaf(alternative, value));
    return value !== undefined && matchesPattern(rule, value);
  });
}

function matchesLeaf(alternative: unknown, value: unknown): boolean {
  if (typeof alternative === 'object' && alternative !== null) {
    const [operator, operand] = Object.entries(alternative)[0];
    if (operator === 'exists') return (value !== undefined) === operand;
    if (value === undefined) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => matchesOperator(operator, operand, v));
  }
  if (value === undefined) return false;
  return (Array.isArray(value) ? value : [value]).some((v) => v === alternative);
}

function matchesOperator(operator: string, operand: unknown, value: unknown): boolean {
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(String(operand));
    case 'suffix':
      return typeof value === 'string' && value.endsWith(String(operand));
    case 'anything-but':
      if (typeof operand === 'object' && operand !== null && !Array.isArray(operand)) {
        return !matchesOperator(Object.keys(operand)[0], Object.values(operand)[0], value);
      }
      return !(Array.isArray(operand) ? operand : [operand]).includes(value);
    case 'numeric': {
      if (typeof value !== 'number') return false;
      const terms = operand as (string | number)[];
      for (let i = 0; i < terms.length; i += 2) if (!compare(String(terms[i]), value, Number(terms[i + 1]))) return false;
      return true;
    }
    default:
      return false;
  }
}

function compare(op: string, value: number, limit: number): boolean {
  return { '=': value === limit, '<': value < limit, '<=': value <= limit, '>': value > limit, '>=': value >= limit }[op] ?? false;
}

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'exists', 'numeric']);

function check(node: unknown, path: string): void {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw invalidPattern(`Event pattern ${path ? `at ${path} ` : ''}must be an object or an array of values`);
  }
  for (const [field, rule] of Object.entries(node)) {
    const at = path ? `${path}.${field}` : field;
    if (Array.isArray(rule)) {
      for (const alternative of rule) {
        if (typeof alternative !== 'object' || alternative === null) continue;
        const keys = Object.keys(alternative);
        if (keys.length !== 1 || !OPERATORS.has(keys[0])) throw invalidPattern(`Unrecognized match type ${keys.join(', ')} at ${at}`);
      }
    } else {
      check(rule, at);
    }
  }
}

const invalidPattern = (message: string) => new AwsError('InvalidEventPatternException', message);
