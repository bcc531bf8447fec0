import { Agent, request } from 'node:http';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startBenchAws, type BenchAws } from './bench-aws';
import { atLeast, figure, type MeasurementResult } from './figures';
import { median, percentile, ratio } from './stats';

const MEASUREMENT = 'async-throughput';
const MIN_RATIO = 0.5;
const ENDPOINT = 'bench-echo';
const INSTANCES = 2;
const PER_INSTANCE = 4;
/** InvokeEndpointAsync calls in flight from the client: enough to keep the queue ahead of the instances. */
const CLIENT_CONCURRENCY = 32;
const PAYLOAD = Buffer.from(JSON.stringify({ instances: Array.from({ length: 64 }, (_, i) => ({ id: i, features: [i, i / 2, i / 3] })) }));

export interface ThroughputOptions {
  requests: number;
  /** Alternating rounds of (direct, async); medians are reported. */
  rounds: number;
  log: (line: string) => void;
}

export class ThroughputRunFailed extends Error {
  override readonly name = 'ThroughputRunFailed';
}

/**
 * The echo container on 2 instances × 4 concurrent invocations: N InvokeEndpointAsync calls until every output is
 * in S3, against the same N requests POSTed straight to the same processes, 8 at a time (4 per instance) over
 * keep-alive connections. Latency is queue-to-output: from the InvokeEndpointAsync call to the output's LastModified.
 */
export async function measureAsyncThroughput(options: ThroughputOptions): Promise<MeasurementResult> {
  const bench = await startBenchAws({ waitScale: 1 });
  try {
    await createEchoEndpoint(bench);
    const { artifactsBucket } = bench.aws.names;
    await bench.clients.s3.send(new PutObjectCommand({ Bucket: artifactsBucket, Key: 'bench-throughput/input.json', Body: PAYLOAD }));
    const directRps: number[] = [];
    const asyncRps: number[] = [];
    const latencies: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      directRps.push(await postDirectly(bench, options.requests));
      const run = await invokeAsync(bench, options.requests, round);
      asyncRps.push(run.rps);
      latencies.push(...run.latenciesMs);
      options.log(`  round ${round}: direct ${Math.round(directRps.at(-1)!)} req/s, async ${Math.round(run.rps)} req/s`);
    }
    const direct = median(directRps);
    const asynchronous = median(asyncRps);
    return {
      figures: [
        figure('throughput.direct-rps', MEASUREMENT, `direct POST /invocations (${INSTANCES}×${PER_INSTANCE}), median`, direct, 'req/s'),
        figure('throughput.async-rps', MEASUREMENT, `InvokeEndpointAsync until every output is in S3, median`, asynchronous, 'req/s'),
        figure('throughput.ratio', MEASUREMENT, 'async ÷ direct throughput', ratio(asynchronous, direct), '', atLeast(MIN_RATIO)),
        figure('throughput.latency-p50-ms', MEASUREMENT, 'queue-to-output latency p50', percentile(latencies, 50), 'ms'),
        figure('throughput.latency-p99-ms', MEASUREMENT, 'queue-to-output latency p99', percentile(latencies, 99), 'ms'),
      ],
      details: { requests: options.requests, rounds: options.rounds, clientConcurrency: CLIENT_CONCURRENCY, payloadBytes: PAYLOAD.length, directRps, asyncRps },
    };
  } finally {
    await bench.stop();
  }
}

async function createEchoEndpoint(bench: BenchAws): Promise<void> {
  const { sagemaker } = bench.clients;
  await sagemaker.send(
    new CreateModelCommand({ ModelName: ENDPOINT, ExecutionRoleArn: bench.aws.names.sagemakerRoleArn, PrimaryContainer: { Image: 'local/echo:latest' } }),
  );
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: ENDPOINT,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: ENDPOINT, InstanceType: 'ml.m5.large', InitialInstanceCount: INSTANCES }],
      AsyncInferenceConfig: {
        OutputConfig: { S3OutputPath: `s3://${bench.aws.names.artifactsBucket}/bench-throughput/output` },
        ClientConfig: { MaxConcurrentInvocationsPerInstance: PER_INSTANCE },
      },
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: ENDPOINT }));
  for (;;) {
    const { EndpointStatus, FailureReason } = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    if (EndpointStatus === 'InService') return;
    if (EndpointStatus !== 'Creating') throw new ThroughputRunFailed(`The echo endpoint is ${EndpointStatus}: ${FailureReason}`);
    await sleep(100);
  }
}

/** The same requests straight to the model processes: what the hardware and the container can do. */
async function postDirectly(bench: BenchAws, requests: number): Promise<number> {
  const urls = bench.aws.services.sagemaker.hosting.instances(ENDPOINT).map((i) => i.process.url);
  if (urls.length !== INSTANCES) throw new ThroughputRunFailed(`expected ${INSTANCES} running echo instances, found ${urls.length}`);
  const agent = new Agent({ keepAlive: true, maxSockets: PER_INSTANCE });
  let next = 0;
  const started = performance.now();
  const worker = async (url: string) => {
    while (next < requests) {
      next++;
      const status = await post(agent, url);
      if (status !== 200) throw new ThroughputRunFailed(`the echo container answered ${status}`);
    }
  };
  try {
    await Promise.all(urls.flatMap((url) => Array.from({ length: PER_INSTANCE }, () => worker(url))));
    return requests / ((performance.now() - started) / 1000);
  } finally {
    agent.destroy();
  }
}

function post(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/invocations`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': PAYLOAD.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(PAYLOAD);
  });
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
