import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startBenchAws, type BenchAws } from './bench-aws';
import { createEchoEndpoint, ECHO_INSTANCES as INSTANCES, ECHO_PAYLOAD as PAYLOAD, ECHO_PER_INSTANCE as PER_INSTANCE, inFlight } from './echo-endpoint';
import { atLeast, figure, type MeasurementResult } from './figures';
import { median, percentile, ratio } from './stats';

const MEASUREMENT = 'async-throughput';
const MIN_RATIO = 0.5;
const ENDPOINT = 'bench-echo';
/** Calls in flight from the client, either kind: enough to keep the async queue ahead of the instances. */
const CLIENT_CONCURRENCY = 32;

export interface ThroughputOptions {
  requests: number;
  /** Rounds of (real time, async) after an untimed warm-up round; medians are reported. */
  rounds: number;
  log: (line: string) => void;
}

export class ThroughputRunFailed extends Error {
  override readonly name = 'ThroughputRunFailed';
}

/**
 * The async queue's throughput: the echo container on 2 instances × 4 concurrent invocations, N InvokeEndpointAsync
 * calls until every output is in S3, against the same N requests by InvokeEndpoint, through the same runtime and
 * SDK client, CLIENT_CONCURRENCY in flight either way. Latency is queue-to-output: from the InvokeEndpointAsync call to
 * the output's LastModified.
 */
export async function measureAsyncThroughput(options: ThroughputOptions): Promise<MeasurementResult> {
  const bench = await startBenchAws({ waitScale: 1 });
  try {
    await createEchoEndpoint(bench.clients.sagemaker, bench.aws.names.sagemakerRoleArn, ENDPOINT, { outputPath: `s3://${bench.aws.names.artifactsBucket}/bench-throughput/output` });
    const { artifactsBucket } = bench.aws.names;
    await bench.clients.s3.send(new PutObjectCommand({ Bucket: artifactsBucket, Key: 'bench-throughput/input.json', Body: PAYLOAD }));
    const realtimeRps: number[] = [];
    const asyncRps: number[] = [];
    const latencies: number[] = [];
    // Round 0 warms both paths up (connections, JIT, the queue) and is not counted.
    for (let round = 0; round <= options.rounds; round++) {
      const realtime = await invokeRealtime(bench, options.requests);
      const run = await invokeAsync(bench, options.requests, round);
      if (round === 0) continue;
      realtimeRps.push(realtime);
      asyncRps.push(run.rps);
      latencies.push(...run.latenciesMs);
      options.log(`  round ${round}: real time ${Math.round(realtime)} req/s, async ${Math.round(run.rps)} req/s`);
    }
    const ratios = asyncRps.map((rps, i) => ratio(rps, realtimeRps[i]));
    return {
      figures: [
        figure('throughput.realtime-rps', MEASUREMENT, `InvokeEndpoint (${INSTANCES}×${PER_INSTANCE}, ${CLIENT_CONCURRENCY} in flight), median`, median(realtimeRps), 'req/s'),
        figure('throughput.async-rps', MEASUREMENT, `InvokeEndpointAsync until every output is in S3, median`, median(asyncRps), 'req/s'),
        figure('throughput.ratio', MEASUREMENT, 'async ÷ real-time throughput, median of per-round ratios', median(ratios), '', atLeast(MIN_RATIO)),
        figure('throughput.overhead-ms', MEASUREMENT, 'async − real time per request (1/rps), median of rounds', median(asyncRps.map((rps, i) => 1000 / rps - 1000 / realtimeRps[i])), 'ms'),
        figure('throughput.latency-p50-ms', MEASUREMENT, 'queue-to-output latency p50', percentile(latencies, 50), 'ms'),
        figure('throughput.latency-p99-ms', MEASUREMENT, 'queue-to-output latency p99', percentile(latencies, 99), 'ms'),
      ],
      details: { requests: options.requests, rounds: options.rounds, clientConcurrency: CLIENT_CONCURRENCY, payloadBytes: PAYLOAD.length, realtimeRps, asyncRps, ratios },
    };
  } finally {
    await bench.stop();
  }
}

/** The same requests in real time through the same runtime and SDK client, as many in flight: what async is held to. */
async function invokeRealtime(bench: BenchAws, requests: number): Promise<number> {
  const { rps } = await inFlight(requests, CLIENT_CONCURRENCY, async () => {
    const response = await bench.clients.sagemakerRuntime.send(new InvokeEndpointCommand({ EndpointName: ENDPOINT, Body: PAYLOAD, ContentType: 'application/json' }));
    if (response.Body?.length !== PAYLOAD.length) throw new ThroughputRunFailed('the echo endpoint answered something else');
  });
  return rps;
}

/** N InvokeEndpointAsync calls; done when the runtime's queue has finished them all and S3 lists every output. */
async function invokeAsync(bench: BenchAws, requests: number, round: number): Promise<{ rps: number; latenciesMs: number[] }> {
  const runtime = bench.aws.services.sagemakerRuntime;
  const before = runtime.stats(ENDPOINT);
  const sentAt = new Map<string, number>();
  const inputLocation = `s3://${bench.aws.names.artifactsBucket}/bench-throughput/input.json`;
  let next = 0;
  const started = Date.now();
  const client = async () => {
    while (next < requests) {
      const inferenceId = `r${round}-${next++}`;
      sentAt.set(inferenceId, Date.now());
      await bench.clients.sagemakerRuntime.send(
        new InvokeEndpointAsyncCommand({ EndpointName: ENDPOINT, InputLocation: inputLocation, ContentType: 'application/json', InferenceId: inferenceId }),
      );
    }
  };
  await Promise.all(Array.from({ length: CLIENT_CONCURRENCY }, client));
  for (;;) {
    const now = runtime.stats(ENDPOINT);
    if (now.failed > before.failed) throw new ThroughputRunFailed(`${now.failed - before.failed} async invocations failed; see the failure objects`);
    if (now.done - before.done >= requests) break;
    await sleep(5);
  }
  const finished = Date.now();

  const written = await listOutputs(bench, `bench-throughput/output/r${round}-`);
  const latenciesMs: number[] = [];
  for (const [inferenceId, sent] of sentAt) {
    const at = written.get(`bench-throughput/output/${inferenceId}.out`);
    if (at === undefined) throw new ThroughputRunFailed(`the output of ${inferenceId} is not in S3 although the queue counted it done`);
    latenciesMs.push(at - sent);
  }
  return { rps: requests / ((finished - started) / 1000), latenciesMs };
}

/** Key → LastModified (ms) of every object under a prefix. */
async function listOutputs(bench: BenchAws, prefix: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await bench.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bench.aws.names.artifactsBucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) found.set(object.Key!, object.LastModified!.getTime());
    token = page.NextContinuationToken;
  } while (token);
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
