import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** dagre exports only its module entry points; the browser build sits next to them. */
const DAGRE_DIST = join(dirname(require.resolve('@dagrejs/dagre/package.json')), 'dist');

/** The console's files: ours from ui/, the layout library straight from node_modules (nothing comes from a CDN). */
export const UI_FILES: Record<string, { path: string; type: string }> = {
  '': { path: join(__dirname, 'ui', 'index.html'), type: 'text/html; charset=utf-8' },
  'console.css': { path: join(__dirname, 'ui', 'console.css'), type: 'text/css; charset=utf-8' },
  'graph.js': { path: join(__dirname, 'ui', 'graph.js'), type: 'text/javascript; charset=utf-8' },
  'execution-view.js': { path: join(__dirname, 'ui', 'execution-view.js'), type: 'text/javascript; charset=utf-8' },
  'console.js': { path: join(__dirname, 'ui', 'console.js'), type: 'text/javascript; charset=utf-8' },
  'dagre.min.js': { path: join(DAGRE_DIST, 'dagre.min.js'), type: 'text/javascript; charset=utf-8' },
};

/** A UI file's text, without a source-map reference (a browser would try to fetch the map). */
export function readUiFile(name: string): string {
  return readFileSync(UI_FILES[name].path, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/gm, '');
}
