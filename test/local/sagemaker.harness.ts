import { DescribeEndpointCommand, SageMakerClient, type DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCloudWatchService, type CloudWatchService } from '../../local/cloudwatch/service';
import { Dispatcher } from '../../local/dispatcher';
import type { FaultInjector } from '../../local/faults';
import { createS3Service, type S3Service } from '../../local/s3/service';
import { parseLocalConfig, type LocalConfigFile } from '../../local/local-config';
import { createSageMakerRuntimeService, type SageMakerRuntimeService } from '../../local/sagemaker-runtime/service';
import { createSageMakerService, type SageMakerService } from '../../local/sagemaker/service';
import type { EndpointRecord } from '../../local/sagemaker/store';
import type { ServiceModule } from '../../local/service';
import type { SnsService } from '../../local/sns/service';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const ECHO_IMAGE = 'local/echo:latest';
export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Short timeouts: tests wait for health checks that are meant to fail. */
export const TEST_CONFIG: LocalConfigFile = {
  images: {
    [ECHO_IMAGE]: { command: ['node', 'examples/echo/serve.mjs'] },
    'local/recommender:latest': { command: ['node', 'examples/recommender/container/serve.mjs'] },
    'local/recommender-python:latest': { command: ['python3', 'examples/recommender/container/serve.py'] },
  },
  hosting: { healthCheckTimeoutSeconds: 3, stopGraceSeconds: 1, maxInstancesPerType: 6 },
};

export interface SageMakerHarness {
  url: string;
  dataDir: string;
  sagemaker: SageMakerService;
  runtime: SageMakerRuntimeService;
  client: SageMakerClient;
  runtimeClient: SageMakerRuntimeClient;
  faults: FaultInjector;
  /** With `waitScale`: the embedded CloudWatch, whose alarms SageMaker's deployment guardrails watch. */
  cloudwatch?: CloudWatchService;
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** The embedded SageMaker and its runtime on one dispatcher at a free port; `before` registers other services first (S3, SNS). */
export async function startSageMaker(
  options: {
    dataDir?: string;
    config?: LocalConfigFile;
    before?: (endpointUrl: () => string, dataDir: string) => ServiceModule[];
    /** Also runs the embedded CloudWatch, with SageMaker's update waits and alarm periods scaled by this. */
    waitScale?: number;
    onEndpointStateChange?: (record: Readonly<EndpointRecord>) => void;
  } = {},
): Promise<SageMakerHarness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'aep-sm-'));
  const dispatcher = new Dispatcher('us-east-1');
  const endpointUrl = () => dispatcher.url;
  const before = options.before?.(endpointUrl, dataDir) ?? [];
  for (const module of before) dispatcher.register(module);
  // The runtime reads and writes async objects in the embedded S3 in-process; a test without S3 of its own gets one.
  const s3 = (before.find((m) => m.name === 's3') as S3Service | undefined) ?? createS3Service({ dataDir });
  const config = parseLocalConfig(options.config ?? TEST_CONFIG, REPO_ROOT);
  const { waitScale, onEndpointStateChange } = options;
  const cloudwatch = waitScale === undefined ? undefined : createCloudWatchService({ dataDir, region: 'us-east-1', waitScale });
  const sagemaker = createSageMakerService({ dataDir, endpointUrl, config, faults: dispatcher.faults, cloudwatch, waitScale, onEndpointStateChange });
  // An embedded SNS among them receives the async notifications in-process, as in `aep local up`.
  const sns = before.find((m) => m.name === 'sns') as SnsService | undefined;
  const runtime = createSageMakerRuntimeService({ sagemaker, s3, sns, faults: dispatcher.faults, cloudwatch, waitScale });
  dispatcher.register(sagemaker).register(runtime);
  if (cloudwatch) dispatcher.register(cloudwatch);
  const url = await dispatcher.listen(0);
  const common = { endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 };
  const client = new SageMakerClient(common);
  const runtimeClient = new SageMakerRuntimeClient(common);
  return {
    url,
    dataDir,
    sagemaker,
    runtime,
    client,
    runtimeClient,
    faults: dispatcher.faults,
    cloudwatch,
    async close({ keepData = false } = {}) {
      client.destroy();
      runtimeClient.destroy();
      await dispatcher.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls DescribeEndpoint until the status is one of `statuses` (the SDK's waiter polls every 30 s). */
export async function waitForEndpoint(
  client: SageMakerClient,
  name: string,
  statuses: string[],
  timeoutMs = 15_000,
): Promise<DescribeEndpointCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(new DescribeEndpointCommand({ EndpointName: name }));
    if (statuses.includes(out.EndpointStatus ?? '')) return out;
    if (Date.now() > deadline) throw new Error(`${name} still ${out.EndpointStatus} (${out.FailureReason ?? ''}) after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (briefly) for every pid to be gone; returns the ones still alive. */
export async function survivors(pids: number[], timeoutMs = 5000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(pidAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    alive = alive.filter(pidAlive);
  }
  return alive;
}
