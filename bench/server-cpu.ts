import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { benchClients, type BenchClients } from './bench-aws';
import { createEchoEndpoint, ECHO_PAYLOAD, inFlight } from './echo-endpoint';
import type { EmbeddedAwsProcessReady, EmbeddedAwsProcessRequest } from './embedded-aws-process';
import { figure, type MeasurementResult } from './figures';
import { median, ratio } from './stats';

const MEASUREMENT = 'server-cpu';
const ENDPOINT = 'bench-cpu';
const CONCURRENCY = 8;

export interface ServerCpuOptions {
  /** Calls of each kind per round. */
  requests: number;
  rounds: number;
  /**
   * Untimed rounds first. One was not enough: per-call CPU still fell round after round (InvokeEndpoint's client
   * 0.88 → 0.74 → 0.52 ms), and the median of such rounds says more about the warm-up than the call.
   */
  warmupRounds: number;
  log: (line: string) => void;
}

export class ProcessCpuUnreadable extends Error {
  override readonly name = 'ProcessCpuUnreadable';
}

/**
 * Where the CPU of each call goes, with the embedded AWS in a process of its own (as `aep local up` runs it): the
 * client's CPU (this process) and the server's (that process; its model containers apart) per call, for InvokeEndpoint,
 * PutObject, GetObject and an async inference (InvokeEndpointAsync until its notification is published). The
 * client's share is the SDK's and the same against any server, so the async round trip (PutObject +
 * InvokeEndpointAsync + GetObject) against InvokeEndpoint in client CPU alone is what async.ratio would be if the
 * embedded AWS cost nothing. Untimed warm-up rounds, then timed rounds; medians of the timed rounds.
 */
export async function measureServerCpu(options: ServerCpuOptions): Promise<MeasurementResult> {
  const server = fork(join(__dirname, 'embedded-aws-process.ts'), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const ready = await nextMessage<EmbeddedAwsProcessReady>(server);
    const clients = benchClients(ready.url, ready.region);
    try {
      return await measure(clients, server, ready, options);
    } finally {
      Object.values(clients).forEach((client) => client.destroy());
    }
  } finally {
    await stop(server);
  }
}

type CallKind = 'invoke-endpoint' | 'put-object' | 'get-object' | 'async-inference';
const KINDS: CallKind[] = ['invoke-endpoint', 'put-object', 'get-object', 'async-inference'];

async function measure(clients: BenchClients, server: ChildProcess, ready: EmbeddedAwsProcessReady, options: ServerCpuOptions): Promise<MeasurementResult> {
  const bucket = ready.artifactsBucket;
  const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: 'bench-cpu-success' }));
  await createEchoEndpoint(clients.sagemaker, ready.sagemakerRoleArn, ENDPOINT, { outputPath: `s3://${bucket}/bench-cpu/output`, successTopic: TopicArn });
  let notifications = 0;
  const calls: Record<CallKind, (id: string) => Promise<unknown>> = {
    'invoke-endpoint': () => clients.sagemakerRuntime.send(new InvokeEndpointCommand({ EndpointName: ENDPOINT, Body: ECHO_PAYLOAD, ContentType: 'application/json' })),
    'put-object': (id) => clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `bench-cpu/input/${id}`, Body: ECHO_PAYLOAD, ContentType: 'application/json' })),
    'get-object': (id) => clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `bench-cpu/input/${id}` })).then((out) => out.Body!.transformToByteArray()),
    'async-inference': (id) =>
      clients.sagemakerRuntime.send(
        new InvokeEndpointAsyncCommand({ EndpointName: ENDPOINT, InputLocation: `s3://${bucket}/bench-cpu/input/${id}`, ContentType: 'application/json' }),
      ),
  };
  const samples = Object.fromEntries(KINDS.map((kind) => [kind, { clientMs: [] as number[], serverMs: [] as number[], containerMs: [] as number[] }]));
  const rounds = options.warmupRounds + options.rounds;
  for (let round = 1; round <= rounds; round++) {
    for (const kind of KINDS) {
      const client0 = process.cpuUsage();
      const server0 = processTreeCpuMs(server.pid!);
      await inFlight(options.requests, CONCURRENCY, (i) => calls[kind](`${round}-${i}`).then(() => undefined));
      if (kind === 'async-inference') {
        // Its work ends with the notification, after the call has answered: wait for every one of this round's.
        notifications += options.requests;
        server.send({ notifications: { topicArn: TopicArn!, count: notifications } } satisfies EmbeddedAwsProcessRequest);
        await nextMessage(server);
      }
      const client = process.cpuUsage(client0);
      const spent = processTreeCpuMs(server.pid!);
      if (round <= options.warmupRounds) continue;
      samples[kind].clientMs.push((client.user + client.system) / 1000 / options.requests);
      samples[kind].serverMs.push((spent.own - server0.own) / options.requests);
      samples[kind].containerMs.push((spent.children - server0.children) / options.requests);
    }
    if (round > options.warmupRounds) options.log(`  round ${round - options.warmupRounds}: server ms per call ${KINDS.map((k) => `${k} ${samples[k].serverMs.at(-1)!.toFixed(2)}`).join(', ')}`);
  }
  const clientMs = (kind: CallKind) => median(samples[kind].clientMs);
  const serverMs = (kind: CallKind) => median(samples[kind].serverMs);
  const asyncClientMs = clientMs('put-object') + clientMs('async-inference') + clientMs('get-object');
  return {
    figures: [
      ...KINDS.map((kind) => figure(`server-cpu.${kind}-ms`, MEASUREMENT, `embedded AWS CPU per ${kind} call (2 KiB), median of rounds`, serverMs(kind), 'ms')),
      figure('client-cpu.invoke-endpoint-ms', MEASUREMENT, 'client (SDK) CPU per InvokeEndpoint', clientMs('invoke-endpoint'), 'ms'),
      figure('client-cpu.async-roundtrip-ms', MEASUREMENT, 'client (SDK) CPU per PutObject + InvokeEndpointAsync + GetObject', asyncClientMs, 'ms'),
      figure(
        'async.client-ratio',
        MEASUREMENT,
        'InvokeEndpoint ÷ async round trip in client CPU alone: async.ratio if the embedded AWS cost nothing',
        ratio(clientMs('invoke-endpoint'), asyncClientMs),
        '',
      ),
    ],
    details: { requests: options.requests, rounds: options.rounds, warmupRounds: options.warmupRounds, concurrency: CONCURRENCY, payloadBytes: ECHO_PAYLOAD.length, samples },
  };
}

/** CPU time (user + system) of a process and, apart, of all its descendants (the model containers), from /proc. */
function processTreeCpuMs(pid: number): { own: number; children: number } {
  const own = processCpuMs(pid);
  const descendants = (parent: number): number[] =>
    readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .flatMap((child) => [child, ...descendants(child)]);
  let children = 0;
  for (const child of descendants(pid)) {
    try {
      children += processCpuMs(child);
    } catch {
      // It exited between listing and reading: its time is gone with it.
    }
  }
  return { own, children };
}

/** /proc/<pid>/stat fields 14 and 15 (utime, stime) in clock ticks; Linux's USER_HZ is 100. */
function processCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    throw new ProcessCpuUnreadable(`cannot read the CPU time of process ${pid} from /proc (Linux only): ${(error as Error).message}`);
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the embedded AWS process exited (${code}) before answering`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop' satisfies EmbeddedAwsProcessRequest);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
