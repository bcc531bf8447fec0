import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { PROJECT_ROOT } from '../infra/step-functions';
import { startEmbeddedAws, type EmbeddedAws } from '../local/embedded-aws';
import { parseLocalConfig } from '../local/local-config';

/** SDK clients pointed at an embedded AWS, as a user's code would be. */
export interface BenchClients {
  s3: S3Client;
  sfn: SFNClient;
  sns: SNSClient;
  sagemaker: SageMakerClient;
  sagemakerRuntime: SageMakerRuntimeClient;
}

export interface BenchAws {
  aws: EmbeddedAws;
  clients: BenchClients;
  stop(): Promise<void>;
}

/** The clients every measurement uses, with the SDK's defaults (path-style S3, as the AWS CLI's `--endpoint-url` would). */
export function benchClients(url: string, region: string): BenchClients {
  const common = { endpoint: url, region, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    sfn: new SFNClient(common),
    sns: new SNSClient(common),
    sagemaker: new SageMakerClient(common),
    sagemakerRuntime: new SageMakerRuntimeClient(common),
  };
}

export interface BenchAwsOptions {
  waitScale: number;
  /** SageMaker takes this many (AWS) seconds to create an endpoint; see EmbeddedAwsOptions. */
  simulatedDeploymentSeconds?: number;
}

/**
 * A fresh embedded AWS for one measurement: a free port, a temp data dir, the repo's aep.local.json images, and an
 * instance quota high enough for the scale run (20 endpoints). Always `await stop()`.
 */
export async function startBenchAws(options: BenchAwsOptions): Promise<BenchAws> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-bench-'));
  const file = JSON.parse(readFileSync(join(PROJECT_ROOT, 'aep.local.json'), 'utf8')) as { images?: unknown };
  const config = parseLocalConfig(
    { images: file.images, hosting: { healthCheckTimeoutSeconds: 60, stopGraceSeconds: 2, maxInstancesPerType: 64 } },
    PROJECT_ROOT,
    'bench config',
  );
  const aws = await startEmbeddedAws({
    port: 0,
    dataDir,
    config,
    waitScale: options.waitScale,
    simulatedDeploymentSeconds: options.simulatedDeploymentSeconds,
    log: () => undefined,
  });
  const clients = benchClients(aws.url, aws.region);
  return {
    aws,
    clients,
    async stop() {
      Object.values(clients).forEach((client) => client.destroy());
      await aws.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
