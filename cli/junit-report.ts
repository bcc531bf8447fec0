import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunReport } from './run-report';

/**
 * A JUnit XML report of a run, for CI test reporters: one testcase per smoke case (its metrics as properties, a
 * <failure> with the cause when it did not match its baseline). A run that failed for any other reason — or that
 * has no smoke cases — adds a `deployment` testcase, so a red gate is never an empty or green report.
 */
export function renderJUnit(report: RunReport): string {
  const suite = `aep deploy ${report.endpointName ?? report.executionName}`;
  const classname = `aep.${report.endpointName ?? 'deployment'}`;
  const cases: string[] = report.cases.map((c) => {
    const properties = Object.entries(c.metrics).map(([name, value]) => property(name, String(value)));
    properties.push(property('mode', c.mode));
    const failure = c.passed ? '' : `\n      <failure type="BaselineMismatch" message="${attr(c.cause ?? 'did not match its baseline')}">${text(c.cause ?? '')}</failure>`;
    return (
      `    <testcase classname="${attr(classname)}" name="${attr(c.name)}" time="${seconds(c.latencySeconds)}">` +
      `\n      <properties>\n${properties.map((p) => `        ${p}`).join('\n')}\n      </properties>${failure}\n    </testcase>`
    );
  });
  const smokeFailed = report.cases.some((c) => !c.passed);
  if (report.error && !smokeFailed) {
    const { error, cause, state } = report.error;
    const message = `${error}${state ? ` in ${state}` : ''}: ${cause}`;
    cases.push(
      `    <testcase classname="${attr(classname)}" name="deployment" time="${seconds(report.durationSeconds)}">` +
        `\n      <failure type="${attr(error)}" message="${attr(message)}">${text(cause)}</failure>\n    </testcase>`,
    );
  } else if (report.cases.length === 0) {
    cases.push(`    <testcase classname="${attr(classname)}" name="deployment" time="${seconds(report.durationSeconds)}"/>`);
  }
  const failures = report.cases.filter((c) => !c.passed).length + (report.error && !smokeFailed ? 1 : 0);
  const tests = cases.length;
  const suiteProperties = [
    property('executionArn', report.executionArn),
    property('status', report.status),
    ...(report.auditUri ? [property('auditUri', report.auditUri)] : []),
    ...(report.result ? [property('endpointConfigName', report.result.endpointConfigName), property('modelName', report.result.modelName)] : []),
    ...(report.modelDataUrl ? [property('modelDataUrl', report.modelDataUrl)] : []),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="aep" tests="${tests}" failures="${failures}" errors="0" time="${seconds(report.durationSeconds)}">`,
    `  <testsuite name="${attr(suite)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${seconds(report.durationSeconds)}"${report.startDate ? ` timestamp="${attr(report.startDate)}"` : ''}>`,
    '    <properties>',
    ...suiteProperties.map((p) => `      ${p}`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function writeJUnit(file: string, report: RunReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderJUnit(report));
}

const property = (name: string, value: string) => `<property name="${attr(name)}" value="${attr(value)}"/>`;
const seconds = (s: number | undefined) => (s ?? 0).toFixed(3);

/** XML 1.0 forbids most control characters even escaped; drop them. */
function text(value: string): string {
  return value
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
