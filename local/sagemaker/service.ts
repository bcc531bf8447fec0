import { join } from 'node:path';
import { validationError } from '../aws-error';
import type { FaultInjector } from '../faults';
import { jsonService } from '../protocols/aws-json';
import { Hosting, type VariantSpec } from '../hosting/hosting';
import { LocalAwsClients } from '../hosting/local-aws-clients';
import type { LocalConfig } from '../local-config';
import type { RequestContext, ServiceModule } from '../service';
import { sageMakerArn } from './arns';
import { changeCapacity, updateEndpointWeightsAndCapacitiesInput, type CapacityContext } from './capacity';
import { checkDeploymentConfig, type DeploymentConfig } from './deployment-config';
import { shiftTraffic, type TrafficShiftContext } from './traffic-shifting';
import { pendingDeploymentSummary } from './pending-deployment';
import type { CloudWatchService } from '../cloudwatch/service';
import { listPage } from './listing';
import { retainVariantProperties } from './variant-properties';
import { alreadyExists, cannotUpdateFailed, inProgress, instanceLimitExceeded, notFound } from './messages';
import {
  addTagsInput,
  createEndpointConfigInput,
  createEndpointInput,
  createModelInput,
  deleteTagsInput,
  endpointConfigNameInput,
  endpointNameInput,
  listInput,
  listTagsInput,
  modelNameInput,
  parseInput,
  updateEndpointInput,
} from './shapes';
import { checkAsyncInferenceConfig } from './validation';
import { SageMakerStore, type Deployment, type EndpointConfigRecord, type EndpointRecord, type Tag } from './store';

export interface SageMakerServiceOptions {
  dataDir: string;
  /** The embedded AWS's own URL: SageMaker reads model data from S3 through it. */
  endpointUrl: () => string;
  config: LocalConfig;
  /**
   * Benchmarks only (default 0): an endpoint creation or update takes at least this long, as SageMaker's
   * instance provisioning takes minutes; the endpoint stays Creating/Updating until then even if its processes are up.
   */
  minimumDeploymentMs?: number;
  /** Called on every endpoint status change (SageMaker's "SageMaker Endpoint State Change" events). */
  onEndpointStateChange?: (record: Readonly<EndpointRecord>) => void;
  /** What a model container gets to reach AWS as its execution role (region, credentials, endpoint URL). */
  containerAwsEnvironment?: (executionRoleArn: string | undefined) => Record<string, string>;
  /** The embedded AWS's fault rules: `disk` rules fail writes of SageMaker's state. */
  faults?: FaultInjector;
  /** Where the service reports what it does on its own (a state write it must retry). Default: stderr. */
  log?: (line: string) => void;
  /** The embedded CloudWatch: the alarms of an update's AutoRollbackConfiguration are watched there. */
  cloudwatch?: Pick<CloudWatchService, 'alarm' | 'onAlarmStateChange'>;
  /** AEP_LOCAL_WAIT_SCALE (default 1): an update's wait intervals, termination wait and timeout are multiplied by it. */
  waitScale?: number;
}

/** The embedded SageMaker: its JSON API plus what the runtime needs to reach the hosted endpoints. */
export interface SageMakerService extends ServiceModule {
  readonly hosting: Hosting;
  readonly aws: LocalAwsClients;
  /** The endpoint's record (status, what it serves), or undefined when it does not exist. */
  endpoint(name: string): Readonly<EndpointRecord> | undefined;
  /** The tags of a model, endpoint config or endpoint by ARN (IAM's aws:ResourceTag), or undefined when it does not exist. */
  tagsOf(arn: string): readonly Tag[] | undefined;
  /** Resolves once every deployment and deletion in progress has finished. */
  settled(): Promise<void>;
  /** Every endpoint's name (for the metrics SageMaker publishes per endpoint). */
  endpointNames(): string[];
  /** UpdateEndpointWeightsAndCapacities of one variant's count, as Application Auto Scaling calls it; resolves when done. */
  setDesiredInstanceCount(endpointName: string, variantName: string, count: number, ctx: RequestContext): Promise<void>;
}

const DEFAULT_INSTANCE_TYPE = 'ml.m5.large';
const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
const key = (name: string) => name.toLowerCase();

/**
 * SageMaker's control plane for models, endpoint configs and endpoints (awsJson1_1, target prefix `SageMaker`),
 * with the real status lifecycle: endpoints are hosted as local processes by `Hosting`, and their state survives
 * restarts in `<dataDir>/sagemaker/state.json` (InService endpoints are hosted again on start).
 */
export function createSageMakerService(options: SageMakerServiceOptions): SageMakerService {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = new SageMakerStore(join(options.dataDir, 'sagemaker', 'state.json'), options.faults);
  const aws = new LocalAwsClients(options.endpointUrl);
  const hosting = new Hosting({ dataDir: options.dataDir, config: options.config, aws, awsEnvironment: options.containerAwsEnvironment, log });
  const inFlight = new Set<Promise<void>>();
  const stopWaiting = new Set<() => void>();
  let closing = false;
  const closed = new AbortController();

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const endpointRecord = (name: string, ctx: RequestContext) => {
    const record = store.endpoints.get(key(name));
    if (!record) throw notFound('endpoint', sageMakerArn(ctx.region, 'endpoint', name));
    return record;
  };

  const configRecord = (name: string, ctx: RequestContext) => {
    const record = store.endpointConfigs.get(key(name));
    if (!record) throw notFound('endpoint-config', sageMakerArn(ctx.region, 'endpoint-config', name));
    return record;
  };

  /** Captures what a config deploys, resolving its models now, as SageMaker does at CreateEndpoint/UpdateEndpoint. */
  const resolveDeployment = (config: EndpointConfigRecord, ctx: RequestContext): Deployment => {
    const variants: VariantSpec[] = config.ProductionVariants.map((pv) => {
      const model = store.models.get(key(pv.ModelName));
      if (!model) throw notFound('model', sageMakerArn(ctx.region, 'model', pv.ModelName));
      const container = model.PrimaryContainer ?? model.Containers?.[0];
      return {
        variantName: pv.VariantName,
        modelName: model.ModelName,
        image: container?.Image ?? '',
        modelDataUrl: container?.ModelDataUrl,
        executionRoleArn: model.ExecutionRoleArn,
        environment: container?.Environment ?? {},
        instanceType: pv.InstanceType ?? DEFAULT_INSTANCE_TYPE,
        instanceCount: pv.InitialInstanceCount ?? 1,
      };
    });
    return {
      EndpointConfigName: config.EndpointConfigName,
      ProductionVariants: config.ProductionVariants,
      AsyncInferenceConfig: config.AsyncInferenceConfig,
      variants,
      startedAt: Date.now(),
    };
  };

  /** Refuses a deployment that would exceed the per-instance-type quota, counting every endpoint's instances. */
  const checkInstanceLimit = (deployment: Deployment) => {
    const limit = options.config.hosting.maxInstancesPerType;
    const used = new Map<string, number>();
    for (const e of store.endpoints.values()) {
      for (const d of [e.current, e.pending]) {
        for (const v of d?.variants ?? []) used.set(v.instanceType, (used.get(v.instanceType) ?? 0) + v.instanceCount);
      }
    }
    const requested = new Map<string, number>();
    for (const v of deployment.variants) requested.set(v.instanceType, (requested.get(v.instanceType) ?? 0) + v.instanceCount);
    for (const [type, delta] of requested) {
      const current = used.get(type) ?? 0;
      if (current + delta > limit) throw instanceLimitExceeded(type, limit, current, delta);
    }
  };

  const trafficShift: TrafficShiftContext = {
    hosting,
    cloudwatch: options.cloudwatch,
    waitScale: options.waitScale ?? 1,
    closing: closed.signal,
    provisioning: () => Promise.resolve(),
    changed: (record, announce) => {
      if (announce) record.LastModifiedTime = Date.now();
      if (store.endpoints.get(key(record.EndpointName)) === record) store.record(log);
      if (announce) options.onEndpointStateChange?.(record);
    },
  };

  /**
   * Hosts a deployment in the background and moves the endpoint to its next status, as SageMaker's workflow does.
   * An update with a blue/green or rolling DeploymentConfig shifts traffic to the new fleet under its guardrails.
   */
  const deploy = (record: EndpointRecord, deployment: Deployment, kind: 'create' | 'update' | 'restore', guardrails?: DeploymentConfig) => {
    const provisioned = () => (kind === 'restore' ? Promise.resolve() : provisioning(deployment.startedAt + (options.minimumDeploymentMs ?? 0) - Date.now()));
    const work = (async () => {
      try {
        if (kind === 'update' && (guardrails?.BlueGreenUpdatePolicy || guardrails?.RollingUpdatePolicy)) {
          const outcome = await shiftTraffic(record, deployment, guardrails, { ...trafficShift, provisioning: provisioned });
          if (outcome !== 'promoted') return;
        } else {
          await hosting.deploy({ endpointName: record.EndpointName, endpointConfigName: deployment.EndpointConfigName, variants: deployment.variants });
          await provisioned();
        }
        if (closing || supersededRestore(kind, record, deployment)) return;
        Object.assign(record, { current: deployment, pending: undefined, EndpointConfigName: deployment.EndpointConfigName });
        record.EndpointStatus = 'InService';
        record.FailureReason = undefined;
      } catch (error) {
        if (closing || supersededRestore(kind, record, deployment)) return;
        const reason = (error as Error).message;
        record.pending = undefined;
        // A failed update rolls back: the old config keeps serving and the endpoint says why the update failed.
        record.EndpointStatus = kind === 'update' ? 'InService' : 'Failed';
        record.FailureReason = kind === 'update' ? `Update to endpoint configuration ${deployment.EndpointConfigName} failed and was rolled back: ${reason}` : reason;
      }
      record.LastModifiedTime = Date.now();
      if (store.endpoints.get(key(record.EndpointName)) === record) store.record(log);
      options.onEndpointStateChange?.(record);
    })();
    track(work);
  };

  /**
   * Re-hosting after a restart runs in the background while the endpoint already says InService, so an UpdateEndpoint
   * can be accepted meanwhile: from then on the update decides the endpoint's status, and the restore must not put the
   * old config back over it (it did: the pipeline saw its update "rolled back" while it was still in progress).
   */
  const supersededRestore = (kind: 'create' | 'update' | 'restore', record: EndpointRecord, deployment: Deployment) =>
    kind === 'restore' && (record.pending !== undefined || record.current !== deployment);

  /** The rest of a simulated provisioning time; cut short when the service closes. */
  const provisioning = (ms: number) =>
    ms <= 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            stopWaiting.delete(done);
            resolve();
          }, ms);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          stopWaiting.add(done);
        });

  const remove = (record: EndpointRecord) => {
    const work = (async () => {
      await hosting.stop(record.EndpointName);
      if (store.endpoints.get(key(record.EndpointName)) === record) {
        store.endpoints.delete(key(record.EndpointName));
        store.record(log);
      }
    })();
    track(work);
  };

  const describeEndpoint = (r: EndpointRecord) => {
    const serving = r.current;
    const live = hosting.instances(r.EndpointName).filter((i) => i.process.running);
    return {
      EndpointName: r.EndpointName,
      EndpointArn: r.EndpointArn,
      EndpointConfigName: r.EndpointConfigName,
      ProductionVariants: serving?.variants.map((v) => {
        const pv = serving.ProductionVariants.find((p) => p.VariantName === v.variantName);
        const weight = pv?.InitialVariantWeight ?? 1;
        return {
          VariantName: v.variantName,
          DeployedImages: [{ SpecifiedImage: v.image, ResolvedImage: v.image, ResolutionTime: date(serving.startedAt) }],
          CurrentWeight: weight,
          DesiredWeight: weight,
          CurrentInstanceCount: live.filter((i) => i.variantName === v.variantName).length,
          DesiredInstanceCount: v.instanceCount,
        };
      }),
      EndpointStatus: r.EndpointStatus,
      FailureReason: r.FailureReason,
      CreationTime: date(r.CreationTime),
      LastModifiedTime: date(r.LastModifiedTime),
      LastDeploymentConfig: r.LastDeploymentConfig,
      AsyncInferenceConfig: (serving ?? r.pending)?.AsyncInferenceConfig,
      PendingDeploymentSummary: pendingDeploymentSummary(r, hosting.stagedInstances(r.EndpointName)),
    };
  };

  const capacity: CapacityContext = { hosting, commit: (change) => store.commit(change), record: () => store.record(log), track, checkInstanceLimit, stateChanged: (r) => options.onEndpointStateChange?.(r) };

  const tagged = (arn: string) => {
    const resource = store.byArn(arn);
    if (!resource) throw notFound(arn.includes(':endpoint-config/') ? 'endpoint-config' : arn.includes(':model/') ? 'model' : 'endpoint', arn);
    return resource;
  };

  const module = jsonService({
    name: 'sagemaker',
    targetPrefix: 'SageMaker',
    jsonVersion: '1.1',
    close: async () => {
      closing = true;
      store.stopRetrying();
      closed.abort();
      for (const stop of stopWaiting) stop();
      await hosting.close();
      await Promise.allSettled([...inFlight]);
      aws.destroy();
    },
    operations: {
      CreateModel(raw, ctx) {
        const input = parseInput(createModelInput, raw);
        const arn = sageMakerArn(ctx.region, 'model', input.ModelName);
        if (store.models.has(key(input.ModelName))) throw alreadyExists('model', arn);
        if (!input.PrimaryContainer && !input.Containers?.length) {
          throw validationError('Either PrimaryContainer or Containers must be specified for a model.');
        }
        store.commit(() =>
          store.models.set(key(input.ModelName), {
            ModelName: input.ModelName,
            ModelArn: arn,
            PrimaryContainer: input.PrimaryContainer,
            Containers: input.Containers,
            ExecutionRoleArn: input.ExecutionRoleArn,
            EnableNetworkIsolation: input.EnableNetworkIsolation,
            CreationTime: Date.now(),
            Tags: input.Tags ?? [],
          }),
        );
        return { ModelArn: arn };
      },
      DescribeModel(raw, ctx) {
        const { ModelName } = parseInput(modelNameInput, raw);
        const m = store.models.get(key(ModelName));
        if (!m) throw notFound('model', sageMakerArn(ctx.region, 'model', ModelName));
        const { Tags: _tags, CreationTime, ...rest } = m;
        return { ...rest, CreationTime: date(CreationTime), DeploymentRecommendation: undefined };
      },
      async DeleteModel(raw, ctx) {
        const { ModelName } = parseInput(modelNameInput, raw);
        if (!store.models.has(key(ModelName))) throw notFound('model', sageMakerArn(ctx.region, 'model', ModelName));
        store.commit(() => store.models.delete(key(ModelName)));
        await hosting.removeModelFiles(ModelName);
        return {};
      },
      ListModels(raw) {
        const input = parseInput(listInput, raw);
        const { page, NextToken } = listPage([...store.models.values()], (m) => ({ name: m.ModelName, creationTime: m.CreationTime }), input);
        return { Models: page.map((m) => ({ ModelName: m.ModelName, ModelArn: m.ModelArn, CreationTime: date(m.CreationTime) })), NextToken };
      },

      async CreateEndpointConfig(raw, ctx) {
        const input = parseInput(createEndpointConfigInput, raw);
        const arn = sageMakerArn(ctx.region, 'endpoint-config', input.EndpointConfigName);
        if (store.endpointConfigs.has(key(input.EndpointConfigName))) throw alreadyExists('endpoint-config', arn);
        for (const pv of input.ProductionVariants) {
          if (!store.models.has(key(pv.ModelName))) throw notFound('model', sageMakerArn(ctx.region, 'model', pv.ModelName));
        }
        await checkAsyncInferenceConfig(input.AsyncInferenceConfig, aws.sns);
        if (store.endpointConfigs.has(key(input.EndpointConfigName))) throw alreadyExists('endpoint-config', arn);
        store.commit(() =>
          store.endpointConfigs.set(key(input.EndpointConfigName), {
            EndpointConfigName: input.EndpointConfigName,
            EndpointConfigArn: arn,
            ProductionVariants: input.ProductionVariants,
            AsyncInferenceConfig: input.AsyncInferenceConfig,
            KmsKeyId: input.KmsKeyId,
            CreationTime: Date.now(),
            Tags: input.Tags ?? [],
          }),
        );
        return { EndpointConfigArn: arn };
      },
      DescribeEndpointConfig(raw, ctx) {
        const { EndpointConfigName } = parseInput(endpointConfigNameInput, raw);
        const { Tags: _tags, CreationTime, ...rest } = configRecord(EndpointConfigName, ctx);
        return { ...rest, CreationTime: date(CreationTime) };
      },
      DeleteEndpointConfig(raw, ctx) {
        const { EndpointConfigName } = parseInput(endpointConfigNameInput, raw);
        configRecord(EndpointConfigName, ctx);
        store.commit(() => store.endpointConfigs.delete(key(EndpointConfigName)));
        return {};
      },
      ListEndpointConfigs(raw) {
        const input = parseInput(listInput, raw);
        const { page, NextToken } = listPage(
          [...store.endpointConfigs.values()],
          (c) => ({ name: c.EndpointConfigName, creationTime: c.CreationTime }),
          input,
        );
        return {
          EndpointConfigs: page.map((c) => ({ EndpointConfigName: c.EndpointConfigName, EndpointConfigArn: c.EndpointConfigArn, CreationTime: date(c.CreationTime) })),
          NextToken,
        };
      },

      CreateEndpoint(raw, ctx) {
        const input = parseInput(createEndpointInput, raw);
        const arn = sageMakerArn(ctx.region, 'endpoint', input.EndpointName);
        if (store.endpoints.has(key(input.EndpointName))) throw alreadyExists('endpoint', arn);
        const deployment = resolveDeployment(configRecord(input.EndpointConfigName, ctx), ctx);
        checkInstanceLimit(deployment);
        const now = Date.now();
        const record: EndpointRecord = {
          EndpointName: input.EndpointName,
          EndpointArn: arn,
          EndpointConfigName: deployment.EndpointConfigName,
          EndpointStatus: 'Creating',
          CreationTime: now,
          LastModifiedTime: now,
          Tags: input.Tags ?? [],
          pending: deployment,
        };
        store.commit(() => store.endpoints.set(key(input.EndpointName), record));
        options.onEndpointStateChange?.(record);
        deploy(record, deployment, 'create');
        return { EndpointArn: arn };
      },
      UpdateEndpoint(raw, ctx) {
        const input = parseInput(updateEndpointInput, raw);
        const record = endpointRecord(input.EndpointName, ctx);
        if (record.EndpointStatus === 'Failed') throw cannotUpdateFailed(record.EndpointArn);
        if (record.EndpointStatus !== 'InService') throw inProgress('update', record.EndpointArn);
        checkDeploymentConfig(input.DeploymentConfig);
        const guardrails = input.DeploymentConfig ?? (input.RetainDeploymentConfig ? record.LastDeploymentConfig : undefined);
        const deployment = retainVariantProperties(
          resolveDeployment(configRecord(input.EndpointConfigName, ctx), ctx),
          input.RetainAllVariantProperties ? record.current : undefined,
          input.ExcludeRetainedVariantProperties?.map((p) => p.VariantPropertyType),
        );
        checkInstanceLimit(deployment);
        store.commit(() => Object.assign(record, { EndpointStatus: 'Updating', pending: deployment, LastModifiedTime: Date.now(), ...(guardrails ? { LastDeploymentConfig: guardrails } : {}) }));
        options.onEndpointStateChange?.(record);
        deploy(record, deployment, 'update', guardrails);
        return { EndpointArn: record.EndpointArn };
      },
      UpdateEndpointWeightsAndCapacities(raw, ctx) {
        const input = parseInput(updateEndpointWeightsAndCapacitiesInput, raw);
        const record = endpointRecord(input.EndpointName, ctx);
        void changeCapacity(record, input.DesiredWeightsAndCapacities, capacity);
        return { EndpointArn: record.EndpointArn };
      },
      DescribeEndpoint(raw, ctx) {
        const { EndpointName } = parseInput(endpointNameInput, raw);
        return describeEndpoint(endpointRecord(EndpointName, ctx));
      },
      DeleteEndpoint(raw, ctx) {
        const { EndpointName } = parseInput(endpointNameInput, raw);
        const record = endpointRecord(EndpointName, ctx);
        if (record.EndpointStatus === 'Creating' || record.EndpointStatus === 'Updating' || record.EndpointStatus === 'RollingBack') {
          throw inProgress('delete', record.EndpointArn);
        }
        if (record.EndpointStatus !== 'Deleting') {
          store.commit(() => Object.assign(record, { EndpointStatus: 'Deleting', LastModifiedTime: Date.now() }));
          options.onEndpointStateChange?.(record);
          remove(record);
        }
        return {};
      },
      ListEndpoints(raw) {
        const input = parseInput(listInput, raw);
        const { page, NextToken } = listPage(
          [...store.endpoints.values()],
          (e) => ({ name: e.EndpointName, creationTime: e.CreationTime, lastModifiedTime: e.LastModifiedTime, status: e.EndpointStatus }),
          input,
        );
        return {
          Endpoints: page.map((e) => ({
            EndpointName: e.EndpointName,
            EndpointArn: e.EndpointArn,
            CreationTime: date(e.CreationTime),
            LastModifiedTime: date(e.LastModifiedTime),
            EndpointStatus: e.EndpointStatus,
          })),
          NextToken,
        };
      },

      AddTags(raw) {
        const input = parseInput(addTagsInput, raw);
        const resource = tagged(input.ResourceArn);
        store.commit(() => (resource.Tags = mergeTags(resource.Tags, input.Tags)));
        return { Tags: input.Tags };
      },
      ListTags(raw) {
        const input = parseInput(listTagsInput, raw);
        const tags = tagged(input.ResourceArn).Tags;
        const start = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64').toString('utf8')) || 0 : 0;
        const size = input.MaxResults ?? 50;
        const next = start + size < tags.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
        return { Tags: tags.slice(start, start + size), NextToken: next };
      },
      DeleteTags(raw) {
        const input = parseInput(deleteTagsInput, raw);
        const resource = tagged(input.ResourceArn);
        store.commit(() => (resource.Tags = resource.Tags.filter((t) => !input.TagKeys.includes(t.Key))));
        return {};
      },
    },
  });

  // After a restart: endpoints come back as they were — serving ones are hosted again, interrupted work is settled.
  const restore = async () => {
    await serverListening(options.endpointUrl);
    for (const record of [...store.endpoints.values()]) {
      if (closing) return;
      if (record.EndpointStatus === 'Deleting') {
        store.endpoints.delete(key(record.EndpointName));
      } else if (record.EndpointStatus === 'Creating' && record.pending) {
        deploy(record, record.pending, 'create');
      } else if ((record.EndpointStatus === 'InService' || record.EndpointStatus === 'Updating' || record.EndpointStatus === 'RollingBack') && record.current) {
        if (record.EndpointStatus !== 'InService') {
          record.EndpointStatus = 'InService';
          record.FailureReason = `Update to endpoint configuration ${record.pending?.EndpointConfigName} was interrupted by a restart of the embedded AWS; the endpoint is on its previous configuration.`;
          record.pending = undefined;
          record.rollout = undefined;
        }
        deploy(record, record.current, 'restore');
      }
    }
    store.record(log);
  };
  if (store.endpoints.size > 0) track(restore());

  return Object.assign(module, {
    hosting,
    aws,
    endpoint: (name: string) => store.endpoints.get(key(name)),
    endpointNames: () => [...store.endpoints.values()].map((e) => e.EndpointName),
    setDesiredInstanceCount: (endpointName: string, variantName: string, count: number, ctx: RequestContext) =>
      changeCapacity(endpointRecord(endpointName, ctx), [{ VariantName: variantName, DesiredInstanceCount: count }], capacity),
    tagsOf: (arn: string) => store.byArn(arn)?.Tags,
    settled: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  });
}

function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.Key, t]));
  for (const t of added) byKey.set(t.Key, t);
  return [...byKey.values()];
}

/** Waits until the dispatcher listens (its URL is readable), so restored endpoints can read model data from S3. */
async function serverListening(endpointUrl: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      endpointUrl();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
