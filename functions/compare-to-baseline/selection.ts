import { JSONPath } from 'jsonpath-plus';

/**
 * Parsing a document and selecting the part to compare. Both can fail because of what the model returned (not
 * JSON, path matches nothing); that is a failed case, not a failed step, so these return a reason instead of throwing.
 */
export type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

export function parseJson(text: string, what: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const excerpt = text.slice(0, 60).replace(/\s+/g, ' ');
    return { ok: false, reason: `${what} is not valid JSON (${(error as Error).message}; starts with "${excerpt}")` };
  }
}

/**
 * The selection of `path` in `document`. Without a path: the whole document. With a path: the list of matches;
 * a path that matches exactly one array (`$.ids`) selects that array's items, so `$.ids` and `$.ids[*]` agree.
 * jsonpath-plus evaluates filter expressions with its safe evaluator, never eval().
 */
export function select(document: unknown, path: string | undefined, what: string): Parsed {
  if (path === undefined || path === '$') return { ok: true, value: document };
  let matches: unknown[];
  try {
    matches = JSONPath({ path, json: document as object, wrap: true, eval: 'safe' }) as unknown[];
  } catch (error) {
    return { ok: false, reason: `JSONPath ${path} cannot be evaluated (${(error as Error).message})` };
  }
  if (!Array.isArray(matches) || matches.length === 0) {
    return { ok: false, reason: `JSONPath ${path} selects nothing in the ${what}` };
  }
  return { ok: true, value: matches.length === 1 && Array.isArray(matches[0]) ? matches[0] : matches };
}
