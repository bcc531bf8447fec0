import type { Writable } from 'node:stream';
import { formatDuration, palette, type Palette } from './output';
import type { Note, RunProgress } from './run-progress';

/** Renders an execution's progress on stderr as its history arrives. */
export interface ProgressView {
  notes(notes: Note[]): void;
  /** Called between polls: a live view redraws its status line. */
  tick(): void;
  close(): void;
}

export interface ViewOptions {
  stream: Writable & { columns?: number };
  live: boolean;
  color: boolean;
  progress: RunProgress;
  now?: () => number;
}

export function createProgressView(options: ViewOptions): ProgressView {
  return options.live ? new LiveView(options) : new PlainView(options.stream, palette(options.color));
}

/** Time of day in UTC with milliseconds: what log lines in CI need next to each other. */
export function timeOfDay(at: Date): string {
  return `${at.toISOString().slice(11, 23)}Z`;
}

/**
 * One timestamped line per event that matters: states entered and left (with durations), polls, task failures,
 * retries, the end. Choice states are routing, not work, and are left out.
 */
export function plainLine(note: Note, paint: Palette = palette(false)): string | undefined {
  const pad = (label: string) => label.padEnd(9);
  const indent = (depth: number) => '  '.repeat(depth);
  const time = timeOfDay(note.at);
  switch (note.kind) {
    case 'started':
      return `${time}  ${pad('start')}execution started`;
    case 'entered':
      if (note.stateKind === 'Choice') return undefined;
      return `${time}  ${pad('enter')}${indent(note.depth)}${note.state}`;
    case 'exited':
      if (note.stateKind === 'Choice') return undefined;
      return `${time}  ${pad('exit')}${indent(note.depth)}${note.state}  ${paint.dim(formatDuration(note.durationMs))}${note.failed ? paint.red('  failed') : ''}`;
    case 'poll':
      return `${time}  ${pad('poll')}${indent(note.depth)}${note.state}  #${note.polls}`;
    case 'taskFailed':
      return `${time}  ${paint.yellow(pad('error'))}${indent(note.depth)}${note.state}  ${note.error}: ${oneLine(note.cause)}`;
    case 'retry':
      return `${time}  ${paint.yellow(pad('retry'))}${indent(note.depth)}${note.state}  attempt ${note.attempt}`;
    case 'finished':
      return note.status === 'SUCCEEDED'
        ? `${time}  ${paint.green(pad('succeeded'))}`
        : `${time}  ${paint.red(pad(note.status.toLowerCase()))}${note.error ?? ''}${note.cause ? `: ${oneLine(note.cause)}` : ''}`;
  }
}

class PlainView implements ProgressView {
  constructor(
    private readonly stream: Writable,
    private readonly paint: Palette,
  ) {}

  notes(notes: Note[]): void {
    for (const note of notes) {
      const line = plainLine(note, this.paint);
      if (line) this.stream.write(`${line}\n`);
    }
  }

  tick(): void {}
  close(): void {}
}

const SPINNER = ['|', '/', '-', '\\'];
const CLEAR_LINE = '\r\u001b[2K';

/**
 * A terminal view: finished steps stay on screen (a polled step once, with its total time and visit count), and one
 * status line — current state, elapsed time, polls so far — is redrawn in place below them.
 */
class LiveView implements ProgressView {
  private readonly paint: Palette;
  private readonly now: () => number;
  private pending?: { state: string; visits: number; firstEnteredAt: Date; lastExitedAt: Date; failed: boolean };
  private frame = 0;
  private finished = false;

  constructor(private readonly options: ViewOptions) {
    this.paint = palette(options.color);
    this.now = options.now ?? Date.now;
  }

  notes(notes: Note[]): void {
    for (const note of notes) this.note(note);
    this.tick();
  }

  tick(): void {
    if (!this.finished) this.options.stream.write(`${CLEAR_LINE}${this.statusLine()}`);
  }

  close(): void {
    this.flush();
    this.options.stream.write(CLEAR_LINE);
  }

  /** The status line, cut to the terminal's width so it never wraps (a wrapped line cannot be redrawn in place). */
  statusLine(): string {
    const p = this.options.progress;
    const started = p.startedAt?.getTime();
    const elapsed = started === undefined ? '' : formatDuration(Math.max(0, this.now() - started));
    const inState = p.currentStateEnteredAt ? formatDuration(Math.max(0, this.now() - p.currentStateEnteredAt.getTime())) : '';
    this.frame = (this.frame + 1) % SPINNER.length;
    const text = `${SPINNER[this.frame]} ${p.currentState ?? 'starting'}${inState ? ` (${inState})` : ''}  elapsed ${elapsed || '-'}  polls ${p.polls}${p.retries ? `  retries ${p.retries}` : ''}`;
    // A terminal that reports no size (0) gets the classic 80 columns.
    const width = (this.options.stream.columns || 80) - 1;
    return text.length > width ? text.slice(0, width) : text;
  }

  private note(note: Note): void {
    const topLevelStep = (n: Note) => 'depth' in n && n.depth === 0 && 'stateKind' in n && (n.stateKind === 'Task' || n.stateKind === 'Map');
    // A step's line is written once the run moves on to another step, so a polled step gets one line, not one per poll.
    if (note.kind === 'entered' && topLevelStep(note) && this.pending?.state !== note.state) this.flush();
    if (note.kind === 'finished') this.finished = true;
    if (note.kind === 'exited' && topLevelStep(note)) {
      if (this.pending?.state !== note.state) {
        this.flush();
        this.pending = { state: note.state, visits: 0, firstEnteredAt: new Date(note.at.getTime() - note.durationMs), lastExitedAt: note.at, failed: false };
      }
      this.pending.visits += 1;
      this.pending.lastExitedAt = note.at;
      this.pending.failed = note.failed;
    } else if (note.kind === 'taskFailed' || note.kind === 'retry' || note.kind === 'finished') {
      this.flush();
      const line = plainLine(note, this.paint);
      if (line) this.permanent(line.slice(timeOfDay(note.at).length + 2));
    }
  }

  private flush(): void {
    if (!this.pending) return;
    const { state, visits, firstEnteredAt, lastExitedAt, failed } = this.pending;
    const took = formatDuration(lastExitedAt.getTime() - firstEnteredAt.getTime());
    this.permanent(`${failed ? this.paint.red('✗') : this.paint.green('✓')} ${state.padEnd(22)} ${this.paint.dim(took)}${visits > 1 ? this.paint.dim(`  (${visits} polls)`) : ''}`);
    this.pending = undefined;
  }

  private permanent(line: string): void {
    this.options.stream.write(`${CLEAR_LINE}${line}\n`);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
