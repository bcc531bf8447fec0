import { appendFile } from 'node:fs/promises';

/**
 * Appends lines to one file with group commit: lines that arrive while a write is in flight go out together in the
 * next one, so N concurrent appends cost about one write, not N. Each `append` resolves once its own line is written
 * (as durable as appendFile is), and lines land in the order they were appended.
 */
export class BatchedAppend {
  private pending: string[] = [];
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  constructor(private readonly path: string) {}

  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push(line);
      this.waiters.push({ resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      const lines = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await appendFile(this.path, lines.join(''));
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.writing = false;
  }
}
