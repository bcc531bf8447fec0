import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../protocols/body';
import type { SageMakerService } from '../sagemaker/service';
import { SERVING_STATUSES, type EndpointRecord } from '../sagemaker/store';
import type { RequestContext, ServiceModule } from '../service';
import { AsyncQueue, type QueueStats } from './async-queue';
import { ContainerTimeout, invokeContainer } from './container-call';
import { InferenceObjects } from './inference-objects';
import { injectedModelFault } from './model-faults';
import { containerHeaders, invokeEndpointAsyncRequest, invokeEndpointRequest } from './validation';
import { ModelError, runtimeValidationError, sendRuntimeError } from './wire';
import { AwsError } from '../aws-error';
import type { FaultInjector } from '../faults';
import type { S3Service } from '../s3/service';
import type { SnsService } from '../sns/service';
import { clientPublisher, inProcessPublisher } from './notification-publisher';
import type { CloudWatchService } from '../cloudwatch/service';
import { EndpointMetrics } from './endpoint-metrics';

export interface SageMakerRuntimeServiceOptions {
  /** The embedded SageMaker whose endpoints this runtime invokes. */
  sagemaker: SageMakerService;
  /** The embedded S3, read and written in-process for async inputs and outputs (as SageMaker reads and writes S3). */
  s3: S3Service;
  /** The dispatcher's fault rules, consulted on those in-process S3 calls as on HTTP ones. */
  faults?: FaultInjector;
  /** The embedded SNS the async notifications are published to in-process; without it, through SageMaker's SNS client. */
  sns?: SnsService;
  /** Where the async endpoints' metrics go (published every 60 s × waitScale); none when absent. */
  cloudwatch?: CloudWatchService;
  waitScale?: number;
}

export interface SageMakerRuntimeService extends ServiceModule {
  /** The async queue's counters for an endpoint (zeros when it never received an async request). */
  stats(endpointName: string): QueueStats;
}

const ROUTE = /^\/endpoints\/([^/]+)\/(invocations|async-invocations)$/;
/** InvokeEndpoint's fixed limit: a real-time container must answer within 60 seconds. */
const REALTIME_TIMEOUT_MS = 60_000;
const DEFAULT_INVOCATION_TIMEOUT_SECONDS = 900;
const DEFAULT_REQUEST_TTL_SECONDS = 21_600;
const MAX_REALTIME_PAYLOAD = 25 * 1024 * 1024;

/**
 * SageMaker Runtime (restJson1, signing name `sagemaker`): InvokeEndpoint proxies to an instance round-robin;
 * InvokeEndpointAsync answers 202 at once and queues the work (see AsyncQueue).
 */
export function createSageMakerRuntimeService(options: SageMakerRuntimeServiceOptions): SageMakerRuntimeService {
  const { sagemaker } = options;
  const queues = new Map<string, AsyncQueue>();
  const objects = new InferenceObjects(options.s3, options.faults);
  const publish = options.sns ? inProcessPublisher(options.sns, options.faults) : clientPublisher(() => sagemaker.aws.sns);
  const metrics = options.cloudwatch && new EndpointMetrics(options.cloudwatch, sagemaker, (name) => queues.get(name.toLowerCase()), options.waitScale ?? 1);

  const inService = (name: string, ctx: RequestContext): EndpointRecord => {
    const endpoint = sagemaker.endpoint(name);
    if (!endpoint || endpoint.EndpointStatus === 'Deleting') throw runtimeValidationError(`Endpoint ${name} of account ${ctx.accountId} not found.`);
    if (!SERVING_STATUSES.has(endpoint.EndpointStatus)) {
      throw runtimeValidationError(`Endpoint ${name} is not in service: its status is ${endpoint.EndpointStatus}.`);
    }
    return endpoint;
  };

  /** TargetVariant routes to that variant's instances; a variant the endpoint does not serve is the caller's error. */
  const variantInstance = (endpoint: EndpointRecord, variant: string) => {
    if (!endpoint.current?.variants.some((v) => v.variantName === variant)) {
      throw runtimeValidationError(`Variant ${variant} does not exist on endpoint ${endpoint.EndpointName}.`);
    }
    const live = sagemaker.hosting.instances(endpoint.EndpointName).filter((i) => i.variantName === variant && i.process.running);
    return live[Math.floor(Math.random() * live.length)];
  };

  async function invoke(name: string, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const input = invokeEndpointRequest(req, name);
    const endpoint = inService(name, ctx);
    const body = await readBody(req, MAX_REALTIME_PAYLOAD);
    const instance = input.TargetVariant ? variantInstance(endpoint, input.TargetVariant) : sagemaker.hosting.nextInstance(name);
    if (!instance) throw new AwsError('ServiceUnavailable', `Endpoint ${name} has no running instance; see its logs in the data dir (hosting/logs).`, 503);
    instance.process.inFlight++;
    try {
      const answer =
        (await injectedModelFault(options.faults, name, instance, 'InvokeEndpoint')) ??
        (await invokeContainer(instance.process, body, input.ContentType, input.Accept, REALTIME_TIMEOUT_MS, containerHeaders(input)));
      if (answer.status >= 400) {
        const kind = answer.status >= 500 ? 'server' : 'client';
        const text = answer.body.toString('utf8');
        throw new ModelError(
          `Received ${kind} error (${answer.status}) from primary with message "${text}". See the endpoint's log in the data dir (hosting/logs/${name}) for more information.`,
          answer.status,
          text,
        );
      }
      res.writeHead(200, {
        'content-type': answer.contentType ?? 'application/octet-stream',
        'content-length': answer.body.length,
        'x-amzn-invoked-production-variant': instance.variantName,
        'x-amzn-requestid': ctx.requestId,
        ...(answer.customAttributes === undefined ? {} : { 'x-amzn-sagemaker-custom-attributes': answer.customAttributes }),
      });
      res.end(answer.body);
    } catch (error) {
      if (error instanceof ContainerTimeout) throw new ModelError('Your invocation timed out while waiting for a response from container primary.');
      if (error instanceof AwsError) throw error;
      throw new ModelError(`The model container could not be reached: ${(error as Error).message}.`);
    } finally {
      instance.process.inFlight--;
    }
  }

  async function invokeAsync(name: string, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const input = invokeEndpointAsyncRequest(req, name);
    const endpoint = inService(name, ctx);
    await readBody(req, 1024 * 1024); // The payload lives in S3; drain whatever was sent.
    const output = endpoint.current?.AsyncInferenceConfig?.OutputConfig;
    if (!output) throw runtimeValidationError(`Endpoint ${name} is not an asynchronous inference endpoint: its config has no AsyncInferenceConfig.`);
    const inputLocation = input.InputLocation;
    const invocationTimeout = input.InvocationTimeoutSeconds ?? DEFAULT_INVOCATION_TIMEOUT_SECONDS;
    const ttl = input.RequestTTLSeconds ?? DEFAULT_REQUEST_TTL_SECONDS;
    const inferenceId = input.InferenceId ?? randomUUID();
    const under = (path: string) => (input.S3OutputPathExtension ? joinS3(path, input.S3OutputPathExtension) : path);
    const outputBase = output.S3OutputPath ?? `s3://sagemaker-${ctx.region}-${ctx.accountId}/async-endpoint-outputs/${name}`;
    const outputLocation = joinS3(under(outputBase), input.Filename ?? `${inferenceId}.out`);
    const failureLocation = output.S3FailurePath ? joinS3(under(output.S3FailurePath), `${inferenceId}-error.out`) : undefined;

    let queue = queues.get(name.toLowerCase());
    // Notifications carry the endpoint's own region (its ARN's), whatever the server's default region is.
    if (!queue) queues.set(name.toLowerCase(), (queue = new AsyncQueue(endpoint.EndpointName, sagemaker, endpoint.EndpointArn.split(':')[3], objects, publish, metrics?.observer(endpoint.EndpointName), options.faults)));
    queue.enqueue({
      endpointName: endpoint.EndpointName,
      inferenceId,
      inputLocation,
      contentType: input.ContentType,
      accept: input.Accept,
      passThrough: containerHeaders({ ...input, InferenceId: inferenceId }),
      receivedTime: new Date(),
      outputLocation,
      failureLocation,
      invocationTimeoutMs: invocationTimeout * 1000,
      expiresAt: Date.now() + ttl * 1000,
    });

    const text = JSON.stringify({ InferenceId: inferenceId });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-amzn-sagemaker-outputlocation': outputLocation,
      'x-amzn-requestid': ctx.requestId,
    };
    if (failureLocation) headers['x-amzn-sagemaker-failurelocation'] = failureLocation;
    res.writeHead(202, headers);
    res.end(text);
  }

  return {
    name: 'sagemaker-runtime',
    handles: (req, ctx) =>
      req.method === 'POST' &&
      req.headers['x-amz-target'] === undefined &&
      (ctx.signingName === undefined || ctx.signingName === 'sagemaker') &&
      ROUTE.test(ctx.url.pathname),
    async handle(req, res, ctx) {
      try {
        const [, rawName, kind] = ROUTE.exec(ctx.url.pathname)!;
        const name = decodeURIComponent(rawName);
        await ctx.authorize?.(kind === 'invocations' ? 'InvokeEndpoint' : 'InvokeEndpointAsync', { EndpointName: name });
        if (kind === 'invocations') await invoke(name, req, res, ctx);
        else await invokeAsync(name, req, res, ctx);
      } catch (error) {
        sendRuntimeError(res, error, ctx);
      }
    },
    async close() {
      metrics?.close();
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
    stats: (endpointName) => ({ ...(queues.get(endpointName.toLowerCase())?.stats ?? { queued: 0, inFlight: 0, done: 0, failed: 0 }) }),
  };
}

/** `s3://bucket/prefix` + `name` with exactly one slash between them. */
function joinS3(prefix: string, name: string): string {
  return `${prefix.replace(/\/+$/, '')}/${name}`;
}
