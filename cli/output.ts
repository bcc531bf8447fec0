import type { Writable } from 'node:stream';

/**
 * Where a command writes. Results go to stdout — exactly one JSON document with --json, text otherwise;
 * progress always goes to stderr, so `aep deploy --json | jq` sees only the document.
 */
export interface Output {
  readonly json: boolean;
  /** The progress stream is a terminal: redraw a live view in place. */
  readonly live: boolean;
  /** Colour on stderr (progress) and on stdout (results), each decided for its own stream. */
  readonly color: boolean;
  readonly resultColor: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** A line of the human-readable result (stdout); ignored with --json. */
  line(text?: string): void;
  /** A line of progress (stderr). */
  progress(text: string): void;
  /** The one JSON document of --json mode. */
  document(value: unknown): void;
}

export interface OutputOptions {
  json?: boolean;
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const json = options.json ?? false;
  const live = stderr.isTTY === true && env.TERM !== 'dumb' && !env.CI;
  return {
    json,
    live,
    color: colorEnabled(stderr, env),
    resultColor: colorEnabled(stdout, env),
    stdout,
    stderr,
    line: (text = '') => {
      if (!json) stdout.write(`${text}\n`);
    },
    progress: (text) => {
      stderr.write(`${text}\n`);
    },
    document: (value) => {
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/** https://no-color.org: NO_COLOR set to anything non-empty disables colour; so do non-terminals. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export type Paint = (text: string) => string;
export interface Palette {
  green: Paint;
  red: Paint;
  yellow: Paint;
  dim: Paint;
  bold: Paint;
}

const sgr = (open: number, close: number): Paint => (text) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

export function palette(color: boolean): Palette {
  return color
    ? { green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) }
    : { green: plain, red: plain, yellow: plain, dim: plain, bold: plain };
}

/** 0.4s, 12.3s, 4m05s — durations as people read them. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

/** A plain table: columns padded to their widest cell, two spaces apart. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)];
}
