import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderReportHtml } from '../local/console/report-html';
import { loadExecutionView } from './execution-view';

/**
 * Writes the self-contained HTML report of an execution (what the console shows for it) to `file`, creating its
 * folder. Reads only Step Functions and S3, so it works against AWS as against the embedded AWS.
 */
export async function writeHtmlReport(executionArn: string, file: string, artifactsBucket?: string): Promise<string> {
  const view = await loadExecutionView(executionArn, { artifactsBucket });
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderReportHtml(view));
  return path;
}
