import type { CloudWatchService, PublishedDatum } from '../cloudwatch/service';
import type { SageMakerService } from '../sagemaker/service';
import { SERVING_STATUSES } from '../sagemaker/store';
import type { AsyncQueue, InvocationOutcome } from './async-queue';

/** SageMaker publishes endpoint metrics once a minute. */
const PUBLISH_SECONDS = 60;
const NAMESPACE = 'AWS/SageMaker';

interface Tally {
  processed: number;
  failures: number;
  errors4xx: Map<string, number>;
  errors5xx: Map<string, number>;
  backlogMs: number[];
  totalMs: number[];
  /** Per variant, microseconds as SageMaker reports ModelLatency. */
  modelLatencyUs: Map<string, number[]>;
}

/**
 * What SageMaker publishes to CloudWatch (`AWS/SageMaker`) for asynchronous endpoints, once a minute × the wait
 * scale, stamped with the start of that minute. With the EndpointName dimension: ApproximateBacklogSize,
 * ApproximateBacklogSizePerInstance (not while no instance runs), ApproximateAgeOfOldestRequest,
 * HasBacklogWithoutCapacity, and when there were invocations InvocationsProcessed, InvocationFailures,
 * TimeInBacklog, TotalProcessingTime. With EndpointName and VariantName: ModelLatency, Invocation4XXErrors,
 * Invocation5XXErrors. Nothing that AWS does not publish for async endpoints (Invocations,
 * InvocationsPerInstance, OverheadLatency).
 */
export class EndpointMetrics {
  private readonly tallies = new Map<string, Tally>();
  private timer?: NodeJS.Timeout;
  private readonly periodMs: number;

  constructor(
    private readonly cloudwatch: CloudWatchService,
    private readonly sagemaker: SageMakerService,
    private readonly queue: (endpointName: string) => AsyncQueue | undefined,
    waitScale: number,
  ) {
    this.periodMs = Math.max(10, PUBLISH_SECONDS * 1000 * waitScale);
    this.timer = setInterval(() => this.publish(), this.periodMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** The async queue reports each finished invocation here. */
  observer(endpointName: string): (outcome: InvocationOutcome) => void {
    return (outcome) => {
      const tally = this.tally(endpointName);
      if (outcome.succeeded) tally.processed++;
      else tally.failures++;
      if (outcome.backlogMs !== undefined) tally.backlogMs.push(outcome.backlogMs);
      tally.totalMs.push(outcome.totalMs);
      const variant = outcome.variantName;
      if (variant === undefined) return;
      if (outcome.modelLatencyMs !== undefined) {
        const list = tally.modelLatencyUs.get(variant) ?? [];
        list.push(outcome.modelLatencyMs * 1000);
        tally.modelLatencyUs.set(variant, list);
      }
      const status = outcome.modelStatus ?? 0;
      if (status >= 400 && status < 500) tally.errors4xx.set(variant, (tally.errors4xx.get(variant) ?? 0) + 1);
      if (status >= 500) tally.errors5xx.set(variant, (tally.errors5xx.get(variant) ?? 0) + 1);
    };
  }

  /** One publication (the clock calls it). */
  publish(): void {
    const timestamp = new Date(Math.floor(Date.now() / this.periodMs) * this.periodMs);
    for (const name of this.sagemaker.endpointNames()) {
      const endpoint = this.sagemaker.endpoint(name);
      if (!endpoint?.current?.AsyncInferenceConfig || !SERVING_STATUSES.has(endpoint.EndpointStatus)) continue;
      const queue = this.queue(name);
      const stats = queue?.stats ?? { queued: 0, inFlight: 0 };
      const backlog = stats.queued + stats.inFlight;
      const instances = this.sagemaker.hosting.instances(endpoint.EndpointName).filter((i) => i.process.running).length;
      const oldest = queue?.oldestWaitingSince();
      const byEndpoint = [{ Name: 'EndpointName', Value: endpoint.EndpointName }];
      const data: PublishedDatum[] = [
        { MetricName: 'ApproximateBacklogSize', Dimensions: byEndpoint, Value: backlog, Unit: 'Count' },
        { MetricName: 'ApproximateAgeOfOldestRequest', Dimensions: byEndpoint, Value: oldest === undefined ? 0 : (Date.now() - oldest) / 1000, Unit: 'Seconds' },
        { MetricName: 'HasBacklogWithoutCapacity', Dimensions: byEndpoint, Value: backlog > 0 && instances === 0 ? 1 : 0, Unit: 'Count' },
      ];
      if (instances > 0) data.push({ MetricName: 'ApproximateBacklogSizePerInstance', Dimensions: byEndpoint, Value: backlog / instances, Unit: 'Count' });
      const tally = this.tallies.get(endpoint.EndpointName);
      this.tallies.delete(endpoint.EndpointName);
      if (tally) data.push(...invocationData(tally, endpoint.EndpointName));
      this.cloudwatch.publish(NAMESPACE, data.map((d) => ({ ...d, Timestamp: timestamp })));
    }
  }

  private tally(endpointName: string): Tally {
    let tally = this.tallies.get(endpointName);
    if (!tally) {
      tally = { processed: 0, failures: 0, errors4xx: new Map(), errors5xx: new Map(), backlogMs: [], totalMs: [], modelLatencyUs: new Map() };
      this.tallies.set(endpointName, tally);
    }
    return tally;
  }
}

function invocationData(tally: Tally, endpointName: string): PublishedDatum[] {
  const byEndpoint = [{ Name: 'EndpointName', Value: endpointName }];
  const byVariant = (variant: string) => [...byEndpoint, { Name: 'VariantName', Value: variant }];
  const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const data: PublishedDatum[] = [
    { MetricName: 'InvocationsProcessed', Dimensions: byEndpoint, Value: tally.processed, Unit: 'Count' },
    { MetricName: 'InvocationFailures', Dimensions: byEndpoint, Value: tally.failures, Unit: 'Count' },
  ];
  if (tally.backlogMs.length) data.push({ MetricName: 'TimeInBacklog', Dimensions: byEndpoint, Value: average(tally.backlogMs), Unit: 'Milliseconds' });
  if (tally.totalMs.length) data.push({ MetricName: 'TotalProcessingTime', Dimensions: byEndpoint, Value: average(tally.totalMs), Unit: 'Milliseconds' });
  for (const [variant, values] of tally.modelLatencyUs) data.push({ MetricName: 'ModelLatency', Dimensions: byVariant(variant), Value: average(values), Unit: 'Microseconds' });
  const variants = new Set([...tally.errors4xx.keys(), ...tally.errors5xx.keys(), ...tally.modelLatencyUs.keys()]);
  for (const variant of variants) {
    data.push({ MetricName: 'Invocation4XXErrors', Dimensions: byVariant(variant), Value: tally.errors4xx.get(variant) ?? 0, Unit: 'Count' });
    data.push({ MetricName: 'Invocation5XXErrors', Dimensions: byVariant(variant), Value: tally.errors5xx.get(variant) ?? 0, Unit: 'Count' });
  }
  return data;
}
