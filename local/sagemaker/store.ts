import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { VariantSpec } from '../hosting/hosting';
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

export type EndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Deleting' | 'Failed';

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
}

interface StoreFile {
  models: ModelRecord[];
  endpointConfigs: EndpointConfigRecord[];
  endpoints: EndpointRecord[];
}

/** SageMaker's resources, persisted as one JSON file in the data dir (written whole and renamed: never half-written). */
export class SageMakerStore {
  readonly models = new Map<string, ModelRecord>();
  readonly endpointConfigs = new Map<string, EndpointConfigRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();

  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    const data = JSON.parse(readFileSync(file, 'utf8')) as StoreFile;
    for (const m of data.models) this.models.set(m.ModelName.toLowerCase(), m);
    for (const c of data.endpointConfigs) this.endpointConfigs.set(c.EndpointConfigName.toLowerCase(), c);
    for (const e of data.endpoints) this.endpoints.set(e.EndpointName.toLowerCase(), e);
  }

  save(): void {
    const data: StoreFile = {
      models: [...this.models.values()],
      endpointConfigs: [...this.endpointConfigs.values()],
      endpoints: [...this.endpoints.values()],
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 1));
    renameSync(tmp, this.file);
  }

  /** The tagged resource behind an ARN, for AddTags/ListTags/DeleteTags. */
  byArn(arn: string): { Tags: Tag[] } | undefined {
    return (
      [...this.models.values()].find((m) => m.ModelArn === arn) ??
      [...this.endpointConfigs.values()].find((c) => c.EndpointConfigArn === arn) ??
      [...this.endpoints.values()].find((e) => e.EndpointArn === arn)
    );
  }
}
