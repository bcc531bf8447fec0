import type { FaultInjector } from '../faults';
import type { Instance } from '../hosting/hosting';
import type { SageMakerService } from '../sagemaker/service';
import { ContainerTimeout, invokeContainer, type ContainerAnswer, type StreamedBody } from './container-call';
import type { InferenceObjects } from './inference-objects';
import type { NotificationPublisher } from './notification-publisher';
import { injectedModelFault } from './model-faults';
import { inferenceResultEvent, type InvocationRequest } from './notifications';

/** SageMaker's default when the endpoint config leaves ClientConfig.MaxConcurrentInvocationsPerInstance unset. */
export const DEFAULT_MAX_CONCURRENT_PER_INSTANCE = 4;
const PUMP_INTERVAL_MS = 100;
/** Jobs between dequeue and completion: at least this many, else this many per container slot. */
const MIN_ACTIVE_JOBS = 16;
const ACTIVE_JOBS_PER_SLOT = 8;

export interface AsyncJob extends InvocationRequest {
  /** SageMaker's pass-through headers for the container (custom attributes, inference id). */
  passThrough: Record<string, string>;
  outputLocation: string;
  failureLocation?: string;
  invocationTimeoutMs: number;
  expiresAt: number;
}

/** The queue's counters since start; benchmarks and tests read them. */
export interface QueueStats {
  /** Waiting for the model: in the queue, its input being read, or waiting for a free slot. */
  queued: number;
  /** At the container, or its output/failure being written and notified. */
  inFlight: number;
  done: number;
  failed: number;
}

interface Failure {
  reason: string;
  /** What goes to the failure location: the model's own error body when it answered, else an error document. */
  body: Buffer;
  contentType: string;
}

/** How one invocation ended, for the endpoint's CloudWatch metrics. */
export interface InvocationOutcome {
  variantName?: string;
  succeeded: boolean;
  /** The model's HTTP status when it answered. */
  modelStatus?: number;
  /** From receipt to dispatch to an instance. */
  backlogMs?: number;
  /** From receipt to the output or failure written. */
  totalMs: number;
  /** The container call alone. */
  modelLatencyMs?: number;
}

/** A job whose input is open (found, not yet read), waiting for room on an instance. */
interface FetchedJob {
  job: AsyncJob;
  input: StreamedBody;
}

/**
 * One endpoint's asynchronous invocations, FIFO, in three stages as SageMaker's own agent runs them: open the input
 * in S3 (its bytes are read once, streamed to the container), call /invocations with at most MaxConcurrentInvocationsPerInstance in flight on each instance, write the
 * answer (or the failure) to S3 and publish the SNS notification. Only the container call holds an instance's slot,
 * so S3 I/O overlaps with inference; the number of jobs between dequeue and completion is bounded (`activeLimit`).
 */
export class AsyncQueue {
  readonly stats: QueueStats = { queued: 0, inFlight: 0, done: 0, failed: 0 };
  private readonly jobs: AsyncJob[] = [];
  private readonly fetched: FetchedJob[] = [];
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** Jobs taken off `jobs` and not finished: reading input, waiting for a slot, at the container, or writing. */
  private active = 0;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly endpointName: string,
    private readonly sagemaker: SageMakerService,
    private readonly region: string,
    private readonly objects: InferenceObjects,
    private readonly publish: NotificationPublisher,
    private readonly observe: (outcome: InvocationOutcome) => void = () => undefined,
    private readonly faults?: FaultInjector,
  ) {}

  /** When the oldest request still waiting for an instance was received (undefined when none waits). */
  oldestWaitingSince(): number | undefined {
    const times = [this.jobs[0], this.fetched[0]?.job].filter((j) => j !== undefined).map((j) => j.receivedTime.getTime());
    return times.length ? Math.min(...times) : undefined;
  }

  enqueue(job: AsyncJob): void {
    this.jobs.push(job);
    this.stats.queued++;
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const { input } of this.fetched.splice(0)) input.stream.destroy();
    await Promise.allSettled([...this.running]);
  }

  /**
   * Starts input reads while there is room, then dispatches fetched jobs while an instance has a free slot; polls
   * while jobs wait for instances (deploys, restarts).
   */
  private pump(): void {
    if (this.closed) return;
    const endpoint = this.sagemaker.endpoint(this.endpointName);
    const gone = !endpoint || endpoint.EndpointStatus === 'Deleting';
    const perInstance =
      endpoint?.current?.AsyncInferenceConfig?.ClientConfig?.MaxConcurrentInvocationsPerInstance ?? DEFAULT_MAX_CONCURRENT_PER_INSTANCE;
    const hosting = this.sagemaker.hosting;
    const instances = [...hosting.instances(this.endpointName), ...hosting.stagedInstances(this.endpointName)].filter((i) => i.process.running);

    while (this.fetched.length > 0) {
      const { job, input } = this.fetched[0];
      const rejection = this.rejection(job, gone);
      if (rejection) {
        this.fetched.shift();
        input.stream.destroy();
        this.dispatched();
        this.finish(this.fail(job, errorDocument(rejection, job)));
        continue;
      }
      // The fleet the traffic split picks (the new one's share during a blue/green update); the job waits for a slot there.
      const instance = hosting
        .route(this.endpointName)
        .filter((i) => i.process.inFlight < perInstance)
        .sort((a, b) => a.process.inFlight - b.process.inFlight)[0];
      if (!instance) break;
      hosting.routed(this.endpointName, instance);
      this.fetched.shift();
      this.dispatched();
      this.finish(this.invoke(job, input, instance));
    }

    // Enough reads ahead to keep every slot busy while earlier jobs' S3 writes complete.
    const activeLimit = Math.max(MIN_ACTIVE_JOBS, ACTIVE_JOBS_PER_SLOT * perInstance * Math.max(1, instances.length));
    while (this.jobs.length > 0 && this.active < activeLimit) {
      const job = this.jobs.shift()!;
      this.active++;
      const rejection = this.rejection(job, gone);
      if (rejection) this.dispatched();
      this.finish(rejection ? this.fail(job, errorDocument(rejection, job)) : this.fetch(job));
    }

    const waiting = this.jobs.length > 0 || this.fetched.length > 0;
    if (waiting && !this.timer) {
      this.timer = setInterval(() => this.pump(), PUMP_INTERVAL_MS);
      this.timer.unref();
    } else if (!waiting && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A job leaves the queue (stats: queued → in flight) for the container or for its failure. */
  private dispatched(): void {
    this.stats.queued--;
    this.stats.inFlight++;
  }

  /** A job's life ends: output or failure written, notification sent. */
  private completed(): void {
    this.stats.inFlight--;
    this.active--;
  }

  private rejection(job: AsyncJob, endpointGone: boolean): string | undefined {
    if (endpointGone) return `ClientError: Endpoint ${this.endpointName} was deleted before the request was processed.`;
    if (Date.now() > job.expiresAt) return 'ClientError: Request expired in the queue: it was not processed within its RequestTTLSeconds.';
    return undefined;
  }

  /** Tracks a stage's work so close() can wait for it, and pumps when it settles. */
  private finish(work: Promise<unknown>): void {
    const tracked = work.finally(() => {
      this.running.delete(tracked);
      this.pump();
    });
    this.running.add(tracked);
  }

  /** Stage 1: the input opened; then the job waits for a slot (or fails, ending its life here). */
  private async fetch(job: AsyncJob): Promise<void> {
    try {
      this.fetched.push({ job, input: await this.objects.open(job.inputLocation) });
    } catch (error) {
      this.dispatched();
      await this.fail(job, errorDocument(`ClientError: Failed to download the input from ${job.inputLocation}: ${(error as Error).name}: ${(error as Error).message}`, job));
    }
  }

  /** Stages 2 and 3: the container call, holding the instance's slot only while it runs; then the output. */
  private async invoke(job: AsyncJob, input: StreamedBody, instance: Instance): Promise<void> {
    let answer: ContainerAnswer;
    instance.process.inFlight++;
    const dispatchedAt = Date.now();
    const timing = { variantName: instance.variantName, backlogMs: dispatchedAt - job.receivedTime.getTime() };
    try {
      answer =
        (await injectedModelFault(this.faults, this.endpointName, instance, 'InvokeEndpointAsync')) ??
        (await invokeContainer(instance.process, input, job.contentType, job.accept, job.invocationTimeoutMs, job.passThrough));
      Object.assign(timing, { modelLatencyMs: Date.now() - dispatchedAt, modelStatus: answer.status });
    } catch (error) {
      const reason =
        error instanceof ContainerTimeout
          ? `ClientError: The model did not respond within InvocationTimeoutSeconds (${job.invocationTimeoutMs / 1000} s).`
          : `ClientError: The model container could not be reached: ${(error as Error).message}. See the endpoint's logs.`;
      return this.fail(job, errorDocument(reason, job), timing);
    } finally {
      instance.process.inFlight--;
    }
    // The slot is free: let the next fetched job in while this one's output is written.
    this.pump();
    if (answer.status >= 400) {
      const kind = answer.status >= 500 ? 'server' : 'client';
      return this.fail(
        job,
        {
          reason: `ClientError: Received ${kind} error (${answer.status}) from model. See the SageMaker Endpoint logs in your account for more information.`,
          body: answer.body,
          contentType: answer.contentType ?? 'application/octet-stream',
        },
        timing,
      );
    }
    try {
      await this.objects.write(job.outputLocation, answer.body, answer.contentType);
    } catch (error) {
      return this.fail(job, errorDocument(`ServerError: Failed to upload the output to ${job.outputLocation}: ${(error as Error).message}`, job), timing);
    }
    this.stats.done++;
    this.observe({ ...timing, succeeded: true, totalMs: Date.now() - job.receivedTime.getTime() });
    await this.notify('success', job, {
      status: 'Completed',
      contentType: answer.contentType,
      outputLocation: job.outputLocation,
      body: answer.body,
    });
    this.completed();
  }

  private async fail(job: AsyncJob, failure: Failure, timing: Partial<InvocationOutcome> = {}): Promise<void> {
    let failureLocation = job.failureLocation;
    if (failureLocation) {
      try {
        await this.objects.write(failureLocation, failure.body, failure.contentType);
      } catch {
        failureLocation = undefined;
      }
    }
    this.stats.failed++;
    this.observe({ ...timing, succeeded: false, totalMs: Date.now() - job.receivedTime.getTime() });
    await this.notify('error', job, { status: 'Failed', failureReason: failure.reason, contentType: failure.contentType, failureLocation, body: failure.body });
    this.completed();
  }

  private async notify(
    topic: 'success' | 'error',
    job: AsyncJob,
    outcome: { status: 'Completed' | 'Failed'; failureReason?: string; contentType?: string; outputLocation?: string; failureLocation?: string; body?: Buffer },
  ): Promise<void> {
    const config = this.sagemaker.endpoint(this.endpointName)?.current?.AsyncInferenceConfig?.OutputConfig.NotificationConfig;
    const topicArn = topic === 'success' ? config?.SuccessTopic : config?.ErrorTopic;
    if (!topicArn) return;
    const include = (config?.IncludeInferenceResponseIn ?? []).includes(topic === 'success' ? 'SUCCESS_NOTIFICATION_TOPIC' : 'ERROR_NOTIFICATION_TOPIC');
    const event = inferenceResultEvent(this.region, job, { ...outcome, includeBody: include });
    try {
      await this.publish(topicArn, JSON.stringify(event));
    } catch {
      // SageMaker drops a notification it cannot publish (a deleted topic); the S3 output is the record that counts.
    }
  }
}

function errorDocument(reason: string, job: AsyncJob): Failure {
  return {
    reason,
    body: Buffer.from(JSON.stringify({ inferenceId: job.inferenceId, failureReason: reason })),
    contentType: 'application/json',
  };
}
