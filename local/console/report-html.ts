import type { ExecutionView } from '../../cli/execution-view';
import { readUiFile } from './ui-files';

/**
 * One self-contained HTML file for an execution: the console's own stylesheet and scripts (graph.js,
 * execution-view.js, the vendored dagre) inlined, with the ExecutionView as JSON data, so it renders exactly what the
 * console shows for that run. Its Content-Security-Policy allows no network access at all: opened from a CI
 * artifact, it fetches nothing.
 */
export function renderReportHtml(view: ExecutionView): string {
  const script = (name: string) => `<script>\n${inline(name)}\n</script>`;
  const title = `aep ${view.report.status} ${view.report.executionName}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>\n${inline('console.css')}\n</style>`,
    '</head>',
    '<body>',
    '<nav class="top" aria-label="Report"><span class="brand">aep deployment report</span></nav>',
    '<main id="main" tabindex="-1"><noscript>This report draws itself with JavaScript; the data is in the aep-execution script element.</noscript></main>',
    // JSON inside <script>: "<" escaped so no string in the data can close the element.
    `<script type="application/json" id="aep-execution">${JSON.stringify(view).replace(/</g, '\\u003c')}</script>`,
    script('dagre.min.js'),
    script('graph.js'),
    script('execution-view.js'),
    '<script>AepView.renderExecution(document.getElementById("main"), JSON.parse(document.getElementById("aep-execution").textContent), {});</script>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function inline(name: string): string {
  const text = readUiFile(name);
  if (/<\/(script|style)/i.test(text)) throw new Error(`${name} contains a closing tag and cannot be inlined`);
  return text;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
