import type { SmokeCaseResult } from '../functions/lib/pipeline-state';
import { formatDuration, palette, type Palette } from './output';
import type { RunReport } from './run-report';

/** The human summary after a run: what is deployed (or why not), each smoke case, where the audit record is. */
export function summaryLines(report: RunReport, color = false): string[] {
  const paint = palette(color);
  const took = report.durationSeconds === undefined ? '' : ` in ${formatDuration(report.durationSeconds * 1000)}`;
  const lines: string[] = [];
  const field = (label: string, value: string | undefined) => {
    if (value) lines.push(`  ${label.padEnd(14)}${value}`);
  };
  if (report.status === 'SUCCEEDED') {
    lines.push(`${paint.green(paint.bold('Deployment succeeded'))}${took}  (execution ${report.executionName})`);
  } else if (report.error) {
    lines.push(`${paint.red(paint.bold(`Deployment ${report.status}: ${report.error.error}`))}${took}  (execution ${report.executionName})`);
  } else {
    lines.push(`Deployment ${report.status}${report.currentState ? ` in ${report.currentState}` : ''}  (execution ${report.executionName})`);
  }
  if (report.error) {
    field('cause', readableCause(report.error.cause));
    field('failed state', report.error.state);
  }
  const r = report.result;
  field('endpoint', report.endpointName && `${report.endpointName}${r ? `  (${r.action}${r.previousConfigName ? `, previous config ${r.previousConfigName}` : ''})` : ''}`);
  field('config', r?.endpointConfigName);
  field('model', r ? `${r.modelName}${report.modelDataUrl ? `  ← ${report.modelDataUrl}` : ''}` : report.modelDataUrl);
  if (report.cases.length > 0) {
    const failed = report.cases.filter((c) => !c.passed).length;
    field('smoke tests', `${report.cases.length - failed} passed, ${failed} failed`);
    for (const c of report.cases) lines.push(`    ${caseLine(c, paint)}`);
  } else if (report.status === 'SUCCEEDED') {
    field('smoke tests', paint.yellow('none: deployed without a gate (set smokeTests to gate it)'));
  }
  if (report.rollback && report.rollback.actions.length > 0) field('rollback', report.rollback.actions.join('; '));
  if (report.rollback && report.rollback.kept.length > 0) field('kept', report.rollback.kept.join(', '));
  if (r?.deletedResources.length) field('cleaned up', r.deletedResources.join(', '));
  field('audit record', report.auditUri);
  field('execution', report.executionArn);
  return lines;
}

export function caseLine(c: SmokeCaseResult, paint: Palette = palette(false)): string {
  const mark = c.passed ? paint.green('✓ pass') : paint.red('✗ FAIL');
  const latency = c.latencySeconds === undefined ? '' : `  latency ${formatDuration(c.latencySeconds * 1000)}`;
  return `${mark}  ${c.name}  ${c.mode}  ${formatMetrics(c.metrics)}${latency}${c.cause ? `  — ${c.cause}` : ''}`;
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
    .join(' ');
}

/** GateFailed's cause is a JSON array of the failed cases' causes (States.JsonToString): one per line reads better. */
export function readableCause(cause: string): string {
  try {
    const parsed: unknown = JSON.parse(cause);
    if (Array.isArray(parsed) && parsed.every((c) => typeof c === 'string')) return parsed.join(`\n${' '.repeat(16)}`);
  } catch {
    // not JSON: shown as it is
  }
  return cause;
}
