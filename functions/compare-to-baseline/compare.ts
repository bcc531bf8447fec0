import type { Compare } from '../lib/deployment-input';
import { compareExact } from './exact';
import { compareNumeric } from './numeric';
import type { ComparisonOutcome } from './outcome';
import { parseJson, select } from './selection';
import { compareTopk } from './topk';

/** A comparison and the selections it compared (for the report). */
export interface Comparison extends ComparisonOutcome {
  selections: { output?: unknown; baseline?: unknown };
}

/**
 * Compares an output document with its baseline under one `compare` setting. Never throws for what the documents
 * contain: unparsable JSON or an empty selection is a failed comparison with a reason.
 */
export function compareDocuments(outputText: string, baselineText: string, compare: Compare): Comparison {
  const output = parseJson(outputText, 'the output');
  if (!output.ok) return notCompared(output.reason);
  const baseline = parseJson(baselineText, 'the baseline');
  if (!baseline.ok) return notCompared(baseline.reason);

  const outputSelection = select(output.value, compare.path, 'output');
  if (!outputSelection.ok) return notCompared(outputSelection.reason);
  const baselineSelection = select(baseline.value, compare.path, 'baseline');
  if (!baselineSelection.ok) return notCompared(baselineSelection.reason, { output: outputSelection.value });
  const selections = { output: outputSelection.value, baseline: baselineSelection.value };

  switch (compare.mode) {
    case 'exact':
      return { ...compareExact(selections.output, selections.baseline), selections };
    case 'numeric':
      return { ...compareNumeric(selections.output, selections.baseline, compare), selections };
    case 'topk':
      return { ...compareTopk(asList(selections.output), asList(selections.baseline), compare), selections };
  }
}

function asList(selection: unknown): unknown[] {
  return Array.isArray(selection) ? selection : [selection];
}

/** A comparison that could not be made, for `reason`. */
export function notCompared(reason: string, selections: Comparison['selections'] = {}): Comparison {
  return { passed: false, metrics: {}, reason, selections };
}
