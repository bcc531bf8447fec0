import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { startBenchAws, type BenchAws } from './bench-aws';
import { createEchoEndpoint, ECHO_PAYLOAD, inFlight } from './echo-endpoint';
import { atLeast, figure, type MeasurementResult } from './figures';
import { median, percentile, ratio } from './stats';

const MEASUREMENT = 'async-roundtrip';
const ENDPOINT = 'bench-roundtrip';
/** Requests in flight from the client, the same for both kinds. */
const CONCURRENCY = 8;

export interface RoundTripOptions {
  requests: number;
  /** Untimed calls of each kind first: the SDK's and the server's code paths take a few thousand calls to be compiled hot. */
  warmupRequests: number;
  rounds: number;
  log: (line: string) => void;
}

/**
 * What a user pays for one asynchronous inference, end to end, against the same request in real time, through the
 * same runtime and the same SDK clients: async = upload the input (PutObject), InvokeEndpointAsync, the success
 * notification (SNS, on the user's own topic), read the output back (GetObject); real time = InvokeEndpoint. The echo
 * container on 2 × 4, CONCURRENCY requests in flight either way; one untimed warm-up round of each
 * (`warmupRequests`), then rounds of both, in alternating order; the ratio is the median of per-round throughput
 * ratios, the overhead the median of per-round latency differences (p50 async − p50 real time). The client's own CPU
 * bounds the ratio: see async.client-ratio (bench/server-cpu.ts).
 */
export async function measureAsyncRoundTrip(options: RoundTripOptions): Promise<MeasurementResult> {
  const bench = await startBenchAws({ waitScale: 1 });
  try {
    // The user's own topic: the pipeline's topics have AwaitEvent subscribed, whose work is not the round trip's.
    const { TopicArn } = await bench.clients.sns.send(new CreateTopicCommand({ Name: 'bench-roundtrip-success' }));
    const bucket = bench.aws.names.artifactsBucket;
    await createEchoEndpoint(bench.clients.sagemaker, bench.aws.names.sagemakerRoleArn, ENDPOINT, { outputPath: `s3://${bucket}/bench-roundtrip/output`, successTopic: TopicArn });
    const notifications = notificationWaiter(bench, TopicArn!);
    const realtimeRps: number[] = [];
    const asyncRps: number[] = [];
    const overheadMs: number[] = [];
    const asyncLatency: number[] = [];
    const realtimeLatency: number[] = [];
    try {
      for (let round = 0; round <= options.rounds; round++) {
        const requests = round === 0 ? options.warmupRequests : options.requests;
        const runRealtime = () => inFlight(requests, CONCURRENCY, () => invokeRealtime(bench));
        const runAsync = () => inFlight(requests, CONCURRENCY, (i) => invokeAsync(bench, notifications, `r${round}-${i}`));
        // Which side goes first alternates, so a load that grows or fades through a round favours neither.
        const [realtime, asynchronous] =
          round % 2 === 0 ? [await runRealtime(), await runAsync()] : await runAsync().then(async (a) => [await runRealtime(), a] as const);
        if (round === 0) continue;
        realtimeRps.push(realtime.rps);
        asyncRps.push(asynchronous.rps);
        overheadMs.push(median(asynchronous.latenciesMs) - median(realtime.latenciesMs));
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
        figure('async.overhead-ms', MEASUREMENT, 'async round trip − real time per request (p50s), median of rounds', median(overheadMs), 'ms'),
        figure('async.roundtrip-p50-ms', MEASUREMENT, 'async round trip latency p50', percentile(asyncLatency, 50), 'ms'),
        figure('async.realtime-p50-ms', MEASUREMENT, 'real-time latency p50', percentile(realtimeLatency, 50), 'ms'),
      ],
      details: { requests: options.requests, warmupRequests: options.warmupRequests, rounds: options.rounds, concurrency: CONCURRENCY, payloadBytes: ECHO_PAYLOAD.length, realtimeRps, asyncRps, ratios, overheadMs },
    };
  } finally {
    await bench.stop();
  }
}

async function invokeRealtime(bench: BenchAws): Promise<void> {
  const response = await bench.clients.sagemakerRuntime.send(new InvokeEndpointCommand({ EndpointName: ENDPOINT, Body: ECHO_PAYLOAD, ContentType: 'application/json' }));
  if (!response.Body || response.Body.length !== ECHO_PAYLOAD.length) throw new Error('the echo endpoint answered something else');
}

async function invokeAsync(bench: BenchAws, notifications: NotificationWaiter, id: string): Promise<void> {
  const bucket = bench.aws.names.artifactsBucket;
  const key = `bench-roundtrip/input/${id}.json`;
  await bench.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: ECHO_PAYLOAD, ContentType: 'application/json' }));
  const notified = notifications.wait(id);
  const { OutputLocation } = await bench.clients.sagemakerRuntime.send(
    new InvokeEndpointAsyncCommand({ EndpointName: ENDPOINT, InputLocation: `s3://${bucket}/${key}`, ContentType: 'application/json', InferenceId: id }),
  );
  await notified;
  const [, outBucket, outKey] = /^s3:\/\/([^/]+)\/(.+)$/.exec(OutputLocation ?? '') ?? [];
  const output = await bench.clients.s3.send(new GetObjectCommand({ Bucket: outBucket, Key: outKey }));
  if ((await output.Body!.transformToByteArray()).length !== ECHO_PAYLOAD.length) throw new Error('the async output differs from the input');
}

interface NotificationWaiter {
  /** Resolves when the success notification of the inference is published; call before invoking. */
  wait(inferenceId: string): Promise<void>;
  stop(): void;
}

/** The user's subscriber, in-process: resolves each inference's wait when its notification is published on the topic. */
function notificationWaiter(bench: BenchAws, topicArn: string): NotificationWaiter {
  const waiting = new Map<string, () => void>();
  const stop = bench.aws.services.sns.onPublished((message) => {
    if (message.topicArn !== topicArn) return;
    const id = (JSON.parse(message.message) as { inferenceId?: string }).inferenceId ?? '';
    waiting.get(id)?.();
    waiting.delete(id);
  });
  return {
    wait: (id) => new Promise((resolve) => waiting.set(id, () => resolve())),
    stop,
  };
}
