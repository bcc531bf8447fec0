import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { checkWriteFault } from '../disk-faults';
import type { FaultInjector } from '../faults';
import type { HistoryEvent } from './history';

export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

const executionRecordSchema = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  name: z.string(),
  status: z.enum(EXECUTION_STATUSES),
  input: z.string(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  /** Epoch milliseconds. */
  startDate: z.number(),
  stopDate: z.number().optional(),
});

export type ExecutionRecord = z.infer<typeof executionRecordSchema>;

/**
 * Executions and their histories on disk, so they outlive the process: one JSON record per execution (rewritten
 * atomically on every status change) and its history as JSON lines, appended as events happen — the events of one
 * step of the run (a state entered, its Lambda scheduled and started) in one write.
 * Layout: <dir>/<state machine name>/<execution name, URI-encoded>.json and .history.jsonl
 */
export class ExecutionStore {
  constructor(
    private readonly dir: string,
    /** `disk` fault rules fail these writes as a full disk would. */
    private readonly faults?: FaultInjector,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Every stored execution. An unreadable record is reported and skipped, never fatal to start-up. */
  loadAll(warn: (message: string) => void = () => undefined): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const machine of readdirSync(this.dir, { withFileTypes: true })) {
      if (!machine.isDirectory()) continue;
      for (const file of readdirSync(join(this.dir, machine.name))) {
        if (!file.endsWith('.json')) continue;
        const path = join(this.dir, machine.name, file);
        try {
          records.push(executionRecordSchema.parse(JSON.parse(readFileSync(path, 'utf8'))));
        } catch (error) {
          warn(`Skipping unreadable execution record ${path}: ${(error as Error).message}`);
        }
      }
    }
    return records;
  }

  save(record: ExecutionRecord): void {
    const path = this.recordPath(record);
    mkdirSync(join(path, '..'), { recursive: true });
    checkWriteFault(this.faults, path);
    writeFileSync(`${path}.tmp`, JSON.stringify(record));
    renameSync(`${path}.tmp`, path);
  }

  /** The one way history reaches the disk: throws when it cannot be written, nothing is dropped quietly. */
  appendHistory(record: ExecutionRecord, events: readonly HistoryEvent[]): void {
    if (events.length === 0) return;
    checkWriteFault(this.faults, this.historyPath(record));
    appendFileSync(this.historyPath(record), events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  }

  /** The history so far. A line cut short by a crash is the last one, and is dropped. */
  history(record: ExecutionRecord): HistoryEvent[] {
    const path = this.historyPath(record);
    if (!existsSync(path)) return [];
    const events: HistoryEvent[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as HistoryEvent);
      } catch {
        break;
      }
    }
    return events;
  }

  private recordPath(record: ExecutionRecord): string {
    return join(this.dir, machineName(record.stateMachineArn), `${encodeURIComponent(record.name)}.json`);
  }

  private historyPath(record: ExecutionRecord): string {
    return join(this.dir, machineName(record.stateMachineArn), `${encodeURIComponent(record.name)}.history.jsonl`);
  }
}

const machineName = (stateMachineArn: string) => encodeURIComponent(stateMachineArn.split(':').pop()!);
