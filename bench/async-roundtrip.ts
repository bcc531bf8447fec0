import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startBenchAws, type BenchAws } from './bench-aws';
import { atLeast, figure, type MeasurementResult } from './figures';
import { median, percentile, ratio } from './stats';

const MEASUREMENT = 'async-roundtrip';
const ENDPOINT = 'bench-roundtrip';
const INSTANCES = 2;
const PER_INSTANCE = 4;
/** Requests in flight from the client, the same for both kinds. */
const CONCURRENCY = 8;
const PAYLOAD = Buffer.from(JSON.stringify({ instances: Array.from({ length: 64 }, (_, i) => ({ id: i, features: [i, i / 2, i / 3] })) }));

export interface RoundTripOptions {
  requests: number;
  rounds: number;
  log: (line: string) => void;
}

/**
 * What a user pays for one asynchronous inference, end to end, against the same request in real time, through the
 * same runtime and the same SDK clients: async = upload the input (PutObject), InvokeEndpointAsync, the success
 * notification (SNS), read the output back (GetObject); real time = InvokeEndpoint. The echo container on 2 × 4,
 * CONCURRENCY requests in flight either way; one untimed warm-up of each, then alternating rounds; the ratio is the
 * median of per-round throughput ratios.
 */
export async function measureAsyncRoundTrip(options: RoundTripOptions): Promise<MeasurementResult> {
  const bench = await startBenchAws({ waitScale: 1 });
  try {
    await createEndpoint(bench);
    const notifications = notificationWaiter(bench);
    const realtimeRps: number[] = [];
    const asyncRps: number[] = [];
    const asyncLatency: number[] = [];
    const realtimeLatency: number[] = [];
    try {
      for (let round = 0; round <= options.rounds; round++) {
        const realtime = await timed(options.requests, () => invokeRealtime(bench));
        const asynchronous = await timed(options.requests, (i) => invokeAsync(bench, notifications, `r${round}-${i}`));
        if (round === 0) continue;
        realtimeRps.push(realtime.rps);
        asyncRps.push(asynchronous.rps);
        realtimeLatency.push(...realtime.latenciesMs);
        asyncLatency.push(...asynchronous.latenciesMs);
        options.log(`  round ${round}: real time ${Math.round(realtime.rps)} req/s, async round trip ${Math.round(asynchronous.rps)} req/s`);
      }
    } finally {
      notifications.stop();
    }
    const ratios = asyncRps.map((rps, i) => ratio(rps, realtimeRps[i]));
    return {
      figures: [
        figure('async.realtime-rps', MEASUREMENT, `InvokeEndpoint (${CONCURRENCY} in flight), median`, median(realtimeRps), 'req/s'),
        figure('async.roundtrip-rps', MEASUREMENT, 'upload + InvokeEndpointAsync + notification + read output, median', median(asyncRps), 'req/s'),
        figure('async.ratio', MEASUREMENT, 'async round trip ÷ real time, median of per-round ratios', median(ratios), '', atLeast(0.3)),
        figure('async.roundtrip-p50-ms', MEASUREMENT, 'async round trip latency p50', percentile(asyncLatency, 50), 'ms'),
        figure('async.realtime-p50-ms', MEASUREMENT, 'real-time latency p50', percentile(realtimeLatency, 50), 'ms'),
      ],
      details: { requests: options.requests, rounds: options.rounds, concurrency: CONCURRENCY, payloadBytes: PAYLOAD.length, realtimeRps, asyncRps, ratios },
    };
  } finally {
    await bench.stop();
  }
}

async function timed(requests: number, one: (index: number) => Promise<void>): Promise<{ rps: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests) {
        const index = next++;
        const t0 = performance.now();
        await one(index);
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  return { rps: requests / ((performance.now() - started) / 1000), latenciesMs };
}

async function invokeRealtime(bench: BenchAws): Promise<void> {
  const response = await bench.clients.sagemakerRuntime.send(new InvokeEndpointCommand({ EndpointName: ENDPOINT, Body: PAYLOAD, ContentType: 'application/json' }));
  if (!response.Body || response.Body.length !== PAYLOAD.length) throw new Error('the echo endpoint answered something else');
}

async function invokeAsync(bench: BenchAws, notifications: NotificationWaiter, id: string): Promise<void> {
  const bucket = bench.aws.names.artifactsBucket;
  const key = `bench-roundtrip/input/${id}.json`;
  await bench.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: PAYLOAD, ContentType: 'application/json' }));
  const { InferenceId, OutputLocation } = await bench.clients.sagemakerRuntime.send(
    new InvokeEndpointAsyncCommand({ EndpointName: ENDPOINT, InputLocation: `s3://${bucket}/${key}`, ContentType: 'application/json', InferenceId: id }),
  );
  await notifications.wait(InferenceId ?? id);
  const [, outBucket, outKey] = /^s3:\/\/([^/]+)\/(.+)$/.exec(OutputLocation ?? '') ?? [];
  const output = await bench.clients.s3.send(new GetObjectCommand({ Bucket: outBucket, Key: outKey }));
  if ((await output.Body!.transformToByteArray()).length !== PAYLOAD.length) throw new Error('the async output differs from the input');
}

interface NotificationWaiter {
  wait(inferenceId: string): Promise<void>;
  stop(): void;
}

/** Resolves when the success notification of an inference has been published (SNS keeps every message in order). */
function notificationWaiter(bench: BenchAws): NotificationWaiter {
  const waiting = new Map<string, () => void>();
  const seen = new Set<string>();
  let read = 0;
  const timer = setInterval(() => {
    const messages = bench.aws.services.sns.messages(bench.aws.names.asyncSuccessTopicArn);
    for (; read < messages.length; read++) {
      const id = (JSON.parse(messages[read].message) as { inferenceId?: string }).inferenceId ?? '';
      seen.add(id);
      waiting.get(id)?.();
    }
  }, 2);
  return {
    wait: (id) => (seen.has(id) ? Promise.resolve() : new Promise((resolve) => waiting.set(id, () => resolve()))),
    stop: () => clearInterval(timer),
  };
}

async function createEndpoint(bench: BenchAws): Promise<void> {
  const { sagemaker } = bench.clients;
  await sagemaker.send(new CreateModelCommand({ ModelName: ENDPOINT, ExecutionRoleArn: bench.aws.names.sagemakerRoleArn, PrimaryContainer: { Image: 'local/echo:latest' } }));
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: ENDPOINT,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: ENDPOINT, InstanceType: 'ml.m5.large', InitialInstanceCount: INSTANCES }],
      AsyncInferenceConfig: {
        OutputConfig: {
          S3OutputPath: `s3://${bench.aws.names.artifactsBucket}/bench-roundtrip/output`,
          NotificationConfig: { SuccessTopic: bench.aws.names.asyncSuccessTopicArn },
        },
        ClientConfig: { MaxConcurrentInvocationsPerInstance: PER_INSTANCE },
      },
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: ENDPOINT }));
  for (;;) {
    const { EndpointStatus, FailureReason } = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    if (EndpointStatus === 'InService') return;
    if (EndpointStatus !== 'Creating') throw new Error(`The echo endpoint is ${EndpointStatus}: ${FailureReason}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
