import { join } from 'node:path';
import * as z from 'zod';
import { changeThenWrite, ensureDir, KeyedMutex, readJsonFileSync, writeFileAtomic } from '../data-dir';
import { checkWriteFault } from '../disk-faults';
import type { FaultInjector } from '../faults';
import { STATE_VALUES } from './shapes';

const alarmSchema = z.object({
  AlarmName: z.string(),
  AlarmArn: z.string(),
  AlarmDescription: z.string().optional(),
  ActionsEnabled: z.boolean(),
  OKActions: z.array(z.string()),
  AlarmActions: z.array(z.string()),
  InsufficientDataActions: z.array(z.string()),
  StateValue: z.enum(STATE_VALUES),
  StateReason: z.string(),
  StateReasonData: z.string().optional(),
  /** Epoch milliseconds, as every time in the store. */
  StateUpdatedTimestamp: z.number(),
  StateTransitionedTimestamp: z.number(),
  AlarmConfigurationUpdatedTimestamp: z.number(),
  MetricName: z.string(),
  Namespace: z.string(),
  Statistic: z.string().optional(),
  ExtendedStatistic: z.string().optional(),
  Dimensions: z.array(z.object({ Name: z.string(), Value: z.string() })),
  Period: z.number(),
  Unit: z.string().optional(),
  EvaluationPeriods: z.number(),
  DatapointsToAlarm: z.number().optional(),
  Threshold: z.number(),
  ComparisonOperator: z.string(),
  TreatMissingData: z.string().optional(),
  EvaluateLowSampleCountPercentile: z.string().optional(),
  Tags: z.array(z.object({ Key: z.string(), Value: z.string() })),
  /** When an Auto Scaling action was last invoked while the alarm stayed in its state (it repeats every minute). */
  lastActionAt: z.number().optional(),
});
export type AlarmRecord = z.infer<typeof alarmSchema>;

const historySchema = z.object({
  AlarmName: z.string(),
  AlarmType: z.literal('MetricAlarm'),
  Timestamp: z.number(),
  HistoryItemType: z.enum(['ConfigurationUpdate', 'StateUpdate', 'Action']),
  HistorySummary: z.string(),
  HistoryData: z.string(),
});
export type HistoryItem = z.infer<typeof historySchema>;

const fileSchema = z.object({ alarms: z.array(alarmSchema), history: z.array(historySchema) });

/** The most history kept (oldest dropped first); CloudWatch keeps two weeks of it. */
const MAX_HISTORY = 10_000;

/** Alarms and their history under `<dataDir>/cloudwatch/alarms.json`, rewritten whole after each change. */
export class AlarmStore {
  readonly alarms = new Map<string, AlarmRecord>();
  readonly history: HistoryItem[] = [];
  private readonly file: string;
  private readonly writes = new KeyedMutex();

  constructor(
    dataDir: string,
    /** `disk` fault rules fail these writes as a full disk would. */
    private readonly faults?: FaultInjector,
  ) {
    this.file = join(ensureDir(join(dataDir, 'cloudwatch')), 'alarms.json');
    const saved = readJsonFileSync(this.file, fileSchema);
    for (const alarm of saved?.alarms ?? []) this.alarms.set(alarm.AlarmName, alarm);
    this.history.push(...(saved?.history ?? []));
  }

  record(item: HistoryItem): void {
    this.history.push(item);
    if (this.history.length > MAX_HISTORY) this.history.splice(0, this.history.length - MAX_HISTORY);
  }

  async save(): Promise<void> {
    await this.writes.run('file', async () => {
      checkWriteFault(this.faults, this.file);
      await writeFileAtomic(this.file, JSON.stringify({ alarms: [...this.alarms.values()], history: this.history }));
    });
  }

  /** Applies a request's change and writes it; when the write fails (a full disk) `undo` takes the change back. */
  commit(change: () => void, undo: () => void): Promise<void> {
    return changeThenWrite(change, () => this.save(), undo);
  }

  /** Takes back a history item a failed change recorded. */
  forget(item: HistoryItem): void {
    const index = this.history.indexOf(item);
    if (index >= 0) this.history.splice(index, 1);
  }
}
