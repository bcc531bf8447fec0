import { PublishCommand } from '@aws-sdk/client-sns';
import type { Instance } from '../hosting/hosting';
import type { SageMakerService } from '../sagemaker/service';
import { ContainerTimeout, invokeContainer, type ContainerAnswer } from './container-call';
import type { InferenceObjects } from './inference-objects';
import { inferenceResultEvent, type InvocationRequest } from './notifications';

/** SageMaker's default when the endpoint config leaves ClientConfig.MaxConcurrentInvocationsPerInstance unset. */
export const DEFAULT_MAX_CONCURRENT_PER_INSTANCE = 4;
const PUMP_INTERVAL_MS = 100;

export interface AsyncJob extends InvocationRequest {
  outputLocation: string;
  failureLocation?: string;
  invocationTimeoutMs: number;
  expiresAt: number;
}

/** The queue's counters since start; benchmarks and tests read them. */
export interface QueueStats {
  queued: number;
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

/**
 * One endpoint's asynchronous invocations: FIFO, dispatched to instances with at most
 * MaxConcurrentInvocationsPerInstance in flight on each; every job reads its input from S3, calls /invocations,
 * writes the answer (or the failure) to S3 and publishes the SNS notification.
 */
export class AsyncQueue {
  readonly stats: QueueStats = { queued: 0, inFlight: 0, done: 0, failed: 0 };
  private readonly jobs: AsyncJob[] = [];
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly endpointName: string,
    private readonly sagemaker: SageMakerService,
    private readonly region: string,
    private readonly objects: InferenceObjects,
  ) {}

  enqueue(job: AsyncJob): void {
    this.jobs.push(job);
    this.stats.queued++;
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
  }

  /** Dispatches while a job waits and an instance has room; polls while jobs wait for instances (deploys, restarts). */
  private pump(): void {
    if (this.closed) return;
    const endpoint = this.sagemaker.endpoint(this.endpointName);
    const perInstance =
      endpoint?.current?.AsyncInferenceConfig?.ClientConfig?.MaxConcurrentInvocationsPerInstance ?? DEFAULT_MAX_CONCURRENT_PER_INSTANCE;
    while (this.jobs.length > 0) {
      const job = this.jobs[0];
      if (!endpoint || endpoint.EndpointStatus === 'Deleting' || Date.now() > job.expiresAt) {
        this.jobs.shift();
        this.stats.queued--;
        const reason = !endpoint || endpoint.EndpointStatus === 'Deleting'
          ? `ClientError: Endpoint ${this.endpointName} was deleted before the request was processed.`
          : 'ClientError: Request expired in the queue: it was not processed within its RequestTTLSeconds.';
        this.start(job, undefined, reason);
        continue;
      }
      const instance = this.sagemaker.hosting
        .instances(this.endpointName)
        .filter((i) => i.process.running && i.process.inFlight < perInstance)
        .sort((a, b) => a.process.inFlight - b.process.inFlight)[0];
      if (!instance) break;
      this.jobs.shift();
      this.stats.queued--;
      this.start(job, instance);
    }
    if (this.jobs.length > 0 && !this.timer) {
      this.timer = setInterval(() => this.pump(), PUMP_INTERVAL_MS);
      this.timer.unref();
    } else if (this.jobs.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private start(job: AsyncJob, instance: Instance | undefined, rejection?: string): void {
    this.stats.inFlight++;
    if (instance) instance.process.inFlight++;
    const work = (instance ? this.process(job, instance) : this.fail(job, errorDocument(rejection ?? 'rejected', job))).finally(() => {
      this.stats.inFlight--;
      if (instance) instance.process.inFlight--;
      this.running.delete(work);
      this.pump();
    });
    this.running.add(work);
  }

  private async process(job: AsyncJob, instance: Instance): Promise<void> {
    let input: Buffer;
    try {
      input = await this.objects.read(job.inputLocation);
    } catch (error) {
      return this.fail(job, errorDocument(`ClientError: Failed to download the input from ${job.inputLocation}: ${(error as Error).name}: ${(error as Error).message}`, job));
    }
    let answer: ContainerAnswer;
    try {
      answer = await invokeContainer(instance.process, input, job.contentType, job.accept, job.invocationTimeoutMs);
    } catch (error) {
      const reason =
        error instanceof ContainerTimeout
          ? `ClientError: The model did not respond within InvocationTimeoutSeconds (${job.invocationTimeoutMs / 1000} s).`
          : `ClientError: The model container could not be reached: ${(error as Error).message}. See the endpoint's logs.`;
      return this.fail(job, errorDocument(reason, job));
    }
    if (answer.status >= 400) {
      const kind = answer.status >= 500 ? 'server' : 'client';
      return this.fail(job, {
        reason: `ClientError: Received ${kind} error (${answer.status}) from model. See the SageMaker Endpoint logs in your account for more information.`,
        body: answer.body,
        contentType: answer.contentType ?? 'application/octet-stream',
      });
    }
    try {
      await this.objects.write(job.outputLocation, answer.body, answer.contentType);
    } catch (error) {
      return this.fail(job, errorDocument(`ServerError: Failed to upload the output to ${job.outputLocation}: ${(error as Error).message}`, job));
    }
    this.stats.done++;
    await this.notify('success', job, {
      status: 'Completed',
      contentType: answer.contentType,
      outputLocation: job.outputLocation,
      body: answer.body,
    });
  }

  private async fail(job: AsyncJob, failure: Failure): Promise<void> {
    this.stats.failed++;
    let failureLocation = job.failureLocation;
    if (failureLocation) {
      try {
        await this.objects.write(failureLocation, failure.body, failure.contentType);
      } catch {
        failureLocation = undefined;
      }
    }
    await this.notify('error', job, { status: 'Failed', failureReason: failure.reason, contentType: failure.contentType, failureLocation, body: failure.body });
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
      await this.sagemaker.aws.sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(event) }));
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
