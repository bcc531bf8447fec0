import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../lib/clients';
import type { Compare } from '../lib/deployment-input';
import type { Difference } from './outcome';

/** The comparison report of one case, as written to reports/<endpoint>/<execution>/<case>.json. */
export interface ComparisonReport {
  /** The endpoint that answered (the candidate at the gate), and the phase: gate, or verify after promotion. */
  endpointName: string;
  phase: 'gate' | 'verify';
  case: string;
  mode: Compare['mode'];
  compare: Compare;
  passed: boolean;
  cause?: string;
  metrics: Record<string, number>;
  inferenceId: string;
  outputUri: string;
  baseline: string;
  latencySeconds: number;
  differences: Difference[];
  selections: { output?: unknown; baseline?: unknown };
  comparedAt: string;
}

/** Selections above this size (as JSON text) are cut down: a report is read by people and dashboards. */
export const MAX_SELECTION_CHARS = 32 * 1024;

/**
 * A selection small enough for a report: itself when it fits; for an array, its first items that fit; otherwise
 * the beginning of its JSON text. Either way marked `truncated` with the full size.
 */
export function truncateSelection(value: unknown, maxChars = MAX_SELECTION_CHARS): unknown {
  const text = JSON.stringify(value) ?? 'null';
  if (text.length <= maxChars) return value;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    let length = 2;
    for (const item of value) {
      length += (JSON.stringify(item) ?? 'null').length + 1;
      if (length > maxChars) break;
      items.push(item);
    }
    return { truncated: true, totalItems: value.length, items };
  }
  return { truncated: true, totalChars: text.length, preview: text.slice(0, maxChars) };
}

/** Writes the report (overwriting: a retried comparison reports again). */
export async function writeReport(bucket: string, key: string, report: ComparisonReport): Promise<void> {
  const body: ComparisonReport = {
    ...report,
    selections: {
      output: truncateSelection(report.selections.output),
      baseline: truncateSelection(report.selections.baseline),
    },
  };
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(body, null, 2),
      ContentType: 'application/json',
    }),
  );
}
