import type { Figure } from './figures';

const HEADER = ['Id', 'Figure', 'Value', 'Goal', 'Met'];

/** The figures as a Markdown table (it reads as plain text in a terminal and renders in the README). */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.id,
    f.name,
    `${formatNumber(f.value)}${f.unit ? ` ${f.unit}` : ''}`,
    f.goal ? `${f.goal.comparison === '<=' ? '≤' : '≥'} ${formatNumber(f.goal.target)}${f.unit ? ` ${f.unit}` : ''}` : '',
    f.met === undefined ? '' : f.met ? 'met' : 'NOT MET',
  ]);
  const widths = HEADER.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]))));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c + ' '.repeat(widths[i] - width(c))).join(' | ')} |`;
  return [line(HEADER), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Thousands separated, at most 3 decimals: 2000 → "2,000", 0.12345 → "0.123". */
export function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** Display width: ≤ and ≥ are one column like any other character. */
function width(text: string): number {
  return [...text].length;
}
