import { join } from 'node:path';
import { changeThenWrite, ensureDir, KeyedMutex, readJsonFileSync, writeFileAtomic } from '../data-dir';
import { checkWriteFault } from '../disk-faults';
import type { FaultInjector } from '../faults';
import * as z from 'zod';

/** Times are epoch milliseconds in the store. */
export interface ScalableTarget {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  ScalableTargetARN: string;
  CreationTime: number;
  SuspendedState: { DynamicScalingInSuspended: boolean; DynamicScalingOutSuspended: boolean; ScheduledScalingSuspended: boolean };
  lastScaleOutAt?: number;
  lastScaleInAt?: number;
}

export interface ScalingPolicy {
  PolicyARN: string;
  PolicyName: string;
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  PolicyType: 'StepScaling' | 'TargetTrackingScaling';
  StepScalingPolicyConfiguration?: Record<string, unknown>;
  TargetTrackingScalingPolicyConfiguration?: Record<string, unknown>;
  Alarms: Array<{ AlarmName: string; AlarmARN: string }>;
  CreationTime: number;
}

export interface ScalingActivity {
  ActivityId: string;
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  Description: string;
  Cause: string;
  StartTime: number;
  EndTime?: number;
  StatusCode: 'Pending' | 'InProgress' | 'Successful' | 'Overridden' | 'Unfulfilled' | 'Failed';
  StatusMessage?: string;
}

const fileSchema = z.object({
  targets: z.array(z.custom<ScalableTarget>((v) => typeof v === 'object' && v !== null)),
  policies: z.array(z.custom<ScalingPolicy>((v) => typeof v === 'object' && v !== null)),
  activities: z.array(z.custom<ScalingActivity>((v) => typeof v === 'object' && v !== null)),
});

/** AWS keeps six weeks of activities; locally the newest thousand. */
const MAX_ACTIVITIES = 1000;

export const targetKey = (t: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string }) =>
  `${t.ServiceNamespace}|${t.ResourceId}|${t.ScalableDimension}`;

/** Scalable targets, policies and activities in `<dataDir>/application-autoscaling/state.json`, rewritten whole. */
export class AutoScalingStore {
  readonly targets = new Map<string, ScalableTarget>();
  readonly policies: ScalingPolicy[] = [];
  readonly activities: ScalingActivity[] = [];
  private readonly file: string;
  private readonly writes = new KeyedMutex();

  constructor(
    dataDir: string,
    /** `disk` fault rules fail these writes as a full disk would. */
    private readonly faults?: FaultInjector,
  ) {
    this.file = join(ensureDir(join(dataDir, 'application-autoscaling')), 'state.json');
    const saved = readJsonFileSync(this.file, fileSchema);
    for (const target of saved?.targets ?? []) this.targets.set(targetKey(target), target);
    this.policies.push(...(saved?.policies ?? []));
    this.activities.push(...(saved?.activities ?? []));
  }

  addActivity(activity: ScalingActivity): void {
    this.activities.push(activity);
    if (this.activities.length > MAX_ACTIVITIES) this.activities.splice(0, this.activities.length - MAX_ACTIVITIES);
  }

  async save(): Promise<void> {
    await this.writes.run('file', async () => {
      checkWriteFault(this.faults, this.file);
      await writeFileAtomic(this.file, JSON.stringify({ targets: [...this.targets.values()], policies: this.policies, activities: this.activities }));
    });
  }

  /** Applies a request's change and writes it before it is acted on; when the write fails `undo` takes it back. */
  commit(change: () => void, undo: () => void): Promise<void> {
    return changeThenWrite(change, () => this.save(), undo);
  }
}
