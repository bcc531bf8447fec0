import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkWriteFault } from '../disk-faults';
import type { FaultInjector } from '../faults';
import type { VariantSpec } from '../hosting/hosting';
import type { DeploymentConfig } from './deployment-config';
import type { AsyncInferenceConfig, ContainerDefinition, ProductionVariant } from './shapes';

export interface Tag {
  Key: string;
  Value: string;
}

/** Times are epoch milliseconds in the store, Dates on the wire. */
export interface ModelRecord {
  ModelName: string;
  ModelArn: string;
  PrimaryContainer?: ContainerDefinition;
  Containers?: ContainerDefinition[];
  ExecutionRoleArn?: string;
  EnableNetworkIsolation?: boolean;
  CreationTime: number;
  Tags: Tag[];
}

export interface EndpointConfigRecord {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: ProductionVariant[];
  AsyncInferenceConfig?: AsyncInferenceConfig;
  KmsKeyId?: string;
  CreationTime: number;
  Tags: Tag[];
}

/**
 * What an endpoint runs, captured when it was created or updated: SageMaker keeps serving it even after the
 * endpoint config or the models are deleted, and the embedded AWS re-hosts it from this after a restart.
 */
export interface Deployment {
  EndpointConfigName: string;
  ProductionVariants: ProductionVariant[];
  AsyncInferenceConfig?: AsyncInferenceConfig;
  variants: VariantSpec[];
  startedAt: number;
}

export type EndpointStatus = 'Creating' | 'Updating' | 'RollingBack' | 'InService' | 'Deleting' | 'Failed';

/** The statuses in which an endpoint answers invocations: its serving fleet keeps working while an update runs or rolls back. */
export const SERVING_STATUSES: ReadonlySet<EndpointStatus> = new Set(['InService', 'Updating', 'RollingBack']);

/** Where the new fleet of an update with a DeploymentConfig is (DescribeEndpoint's PendingProductionVariantSummary). */
export interface Rollout {
  /** SageMaker's variant statuses: Creating, then ActivatingTraffic and Baking per traffic step; Deleting on rollback. */
  variantStatus: 'Creating' | 'ActivatingTraffic' | 'Baking' | 'Deleting';
  since: number;
  /** The share of requests the new fleet gets now (0..1). */
  share: number;
  statusMessage?: string;
}

export interface EndpointRecord {
  EndpointName: string;
  EndpointArn: string;
  /** The config it serves, or is being created with; an update changes it only once the new config serves. */
  EndpointConfigName: string;
  EndpointStatus: EndpointStatus;
  FailureReason?: string;
  CreationTime: number;
  LastModifiedTime: number;
  Tags: Tag[];
  /** What serves now (absent until the first deployment succeeds). */
  current?: Deployment;
  /** What is being deployed (Creating/Updating). */
  pending?: Deployment;
  /** The DeploymentConfig of the newest UpdateEndpoint that had one (or retained with RetainDeploymentConfig). */
  LastDeploymentConfig?: DeploymentConfig;
  /** The traffic shift of the update in progress, when it has a DeploymentConfig. */
  rollout?: Rollout;
}

interface StoreFile {
  models: ModelRecord[];
  endpointConfigs: EndpointConfigRecord[];
  endpoints: EndpointRecord[];
}

/**
 * SageMaker's resources, persisted as one JSON file in the data dir (written whole and renamed: never half-written).
 * A request changes them through `commit`, which writes before the change is acted on and undoes it in memory when
 * the write fails: a full disk answers an error and leaves nothing half-done, so the same request succeeds later.
 */
export class SageMakerStore {
  readonly models = new Map<string, ModelRecord>();
  readonly endpointConfigs = new Map<string, EndpointConfigRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly faults?: FaultInjector,
  ) {
    if (!existsSync(file)) return;
    const data = JSON.parse(readFileSync(file, 'utf8')) as StoreFile;
    for (const m of data.models) this.models.set(m.ModelName.toLowerCase(), m);
    for (const c of data.endpointConfigs) this.endpointConfigs.set(c.EndpointConfigName.toLowerCase(), c);
    for (const e of data.endpoints) this.endpoints.set(e.EndpointName.toLowerCase(), e);
  }

  /** Applies `change` to the records and writes them; when the write fails, the records are as before and it throws. */
  commit(change: () => void): void {
    const before = this.snapshot();
    change();
    try {
      this.save();
    } catch (error) {
      this.restore(before);
      throw error;
    }
  }

  /**
   * Records what already happened (processes started or stopped in the background): memory must say so even when the
   * disk is full, so a failed write is reported and tried again until it succeeds (every write is the whole state).
   */
  record(report: (message: string) => void): void {
    try {
      this.save();
    } catch (error) {
      report(`Could not write SageMaker's state to ${this.file} (${(error as Error).message}); trying again every ${RETRY_MS / 1000} s`);
      this.retryTimer ??= setInterval(() => {
        try {
          this.save();
        } catch {
          return;
        }
        this.stopRetrying();
      }, RETRY_MS).unref();
    }
  }

  stopRetrying(): void {
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  save(): void {
    const data: StoreFile = {
      models: [...this.models.values()],
      endpointConfigs: [...this.endpointConfigs.values()],
      endpoints: [...this.endpoints.values()],
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    checkWriteFault(this.faults, this.file);
    writeFileSync(tmp, JSON.stringify(data, null, 1));
    renameSync(tmp, this.file);
    this.stopRetrying();
  }

  /** The tagged resource behind an ARN, for AddTags/ListTags/DeleteTags. */
  byArn(arn: string): { Tags: Tag[] } | undefined {
    return (
      [...this.models.values()].find((m) => m.ModelArn === arn) ??
      [...this.endpointConfigs.values()].find((c) => c.EndpointConfigArn === arn) ??
      [...this.endpoints.values()].find((e) => e.EndpointArn === arn)
    );
  }

  private snapshot(): Snapshot {
    return this.maps().map((map) => new Map([...map].map(([k, record]) => [k, { record, copy: structuredClone(record) as object }])));
  }

  /**
   * Puts every map back as it was. Records are restored in place, down to the values that changed, so work in flight
   * that holds a record or a part of it (the deployment a restart is re-hosting) keeps its objects.
   */
  private restore(before: Snapshot): void {
    this.maps().forEach((map, i) => {
      map.clear();
      for (const [k, { record, copy }] of before[i]) {
        restoreInPlace(record as Record<string, unknown>, copy as Record<string, unknown>);
        map.set(k, record as never);
      }
    });
  }

  private maps(): Map<string, object>[] {
    return [this.models, this.endpointConfigs, this.endpoints];
  }
}

type Snapshot = Map<string, { record: object; copy: object }>[];

function restoreInPlace(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const prop of new Set([...Object.keys(target), ...Object.keys(source)])) {
    const now = target[prop];
    const was = source[prop];
    if (JSON.stringify(now) === JSON.stringify(was)) continue;
    if (!(prop in source)) delete target[prop];
    else if (sameShape(now, was)) restoreInPlace(now as Record<string, unknown>, was as Record<string, unknown>);
    else target[prop] = was;
  }
}

/** Both objects, or both arrays of one length: restorable member by member. */
function sameShape(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length;
  return true;
}

const RETRY_MS = 1000;
