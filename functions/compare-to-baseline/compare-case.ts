import { artifactKeys } from '../lib/names';
import type { SmokeCaseResult } from '../lib/pipeline-state';
import { toS3Uri } from '../lib/s3-uri';
import { caseObjectName, invokedEndpoint, type InvokedSmokeCaseState } from '../lib/smoke-case-state';
import { compareDocuments, notCompared, type Comparison } from './compare';
import { loadBaseline, loadOutput } from './documents';
import { writeReport } from './report';

/**
 * CompareToBaseline for one case: load the output and the baseline, compare them, write the report, and return the
 * iteration's result. A mismatch, or a document that cannot be compared, is `passed: false` with a one-sentence
 * cause — the Verdict? gate decides — so every case reports even when one is broken.
 */
export async function compareCase(
  state: InvokedSmokeCaseState,
  artifactsBucket: string,
  now: () => Date = () => new Date(),
): Promise<SmokeCaseResult> {
  const smokeCase = state.case;
  const { invocation } = state;
  const reportKey = artifactKeys.report(state.endpointName, state.execution.name, caseObjectName(state));
  const reportUri = toS3Uri({ bucket: artifactsBucket, key: reportKey });

  const output = await loadOutput(invocation.outputLocation);
  const baseline = await loadBaseline(smokeCase);
  let comparison: Comparison;
  if (!output.ok) comparison = notCompared(output.reason);
  else if (!baseline.ok) comparison = notCompared(baseline.reason);
  else comparison = compareDocuments(output.text, baseline.text, smokeCase.compare);

  const completedAt = outputWrittenAt(output.ok ? output.lastModified : undefined, state.output?.checkedAt, now());
  // Decided on the exact values; recorded rounded, as people read them (0.981775, not 0.9817750000000001).
  comparison = { ...comparison, metrics: roundedMetrics(comparison.metrics) };
  const latencySeconds = Math.max(0, completedAt - Date.parse(invocation.invokedAt)) / 1000;
  const cause = comparison.passed ? undefined : `case ${smokeCase.name}: ${comparison.reason} (report ${reportUri})`;

  await writeReport(artifactsBucket, reportKey, {
    case: smokeCase.name,
    endpointName: invokedEndpoint(state),
    phase: state.phase ?? 'gate',
    mode: smokeCase.compare.mode,
    compare: smokeCase.compare,
    passed: comparison.passed,
    ...(cause ? { cause } : {}),
    metrics: comparison.metrics,
    inferenceId: invocation.inferenceId,
    outputUri: invocation.outputLocation,
    baseline: baseline.source,
    latencySeconds,
    differences: comparison.differences ?? [],
    selections: comparison.selections,
    comparedAt: now().toISOString(),
  });

  return {
    name: smokeCase.name,
    passed: comparison.passed,
    mode: smokeCase.compare.mode,
    metrics: comparison.metrics,
    ...(cause ? { cause } : {}),
    inferenceId: invocation.inferenceId,
    outputUri: invocation.outputLocation,
    reportUri,
    latencySeconds,
    endpointName: invokedEndpoint(state),
    phase: state.phase ?? 'gate',
  };
}

function roundedMetrics(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name, Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : value]));
}

/**
 * When the output was written, in milliseconds. S3's LastModified has whole seconds (a sub-second invocation read
 * as 0 s), while the poll or notification that found the output has milliseconds and comes no earlier than the
 * write: the latest moment both allow — the poll's time when it falls within LastModified's second, else the end
 * of that second.
 */
export function outputWrittenAt(lastModified: string | undefined, checkedAt: string | undefined, now: Date): number {
  const seen = checkedAt ? Date.parse(checkedAt) : now.getTime();
  return lastModified ? Math.min(seen, Date.parse(lastModified) + 999) : seen;
}
