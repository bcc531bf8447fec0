import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startEmbeddedAws, type EmbeddedAws } from '../../local/embedded-aws';
import { parseLocalConfig } from '../../local/local-config';
import { synthesizedTemplate } from './stack-template';

/** The repository root: aep.local.json's commands resolve from it. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface TestAws {
  aws: EmbeddedAws;
  dataDir: string;
  /** SDK clients pointed at the embedded AWS, as a user's code would be. */
  clients: { s3: S3Client; sfn: SFNClient; sagemaker: SageMakerClient; sagemakerRuntime: SageMakerRuntimeClient };
  /** Environment for a child process (the AWS CLI, boto3) to talk to the embedded AWS. */
  cliEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export interface TestAwsOptions {
  /** Pipeline Waits and retries × this; default 0.01 (a 30 s poll takes 0.3 s). */
  waitScale?: number;
  /** How long a model process has to answer /ping; default 15 s (SageMaker's is minutes). */
  healthCheckTimeoutSeconds?: number;
  /** Reuse a data dir (restart tests); default a fresh temp dir, removed by stop(). */
  dataDir?: string;
  /**
   * IAM enforced from this synthesized template; default the repository's stack (synthesized once and cached,
   * test/helpers/stack-template.ts), so every pipeline run in the tests is evaluated as in AWS. `false`: not enforced.
   */
  iamTemplate?: string | false;
  /** Images besides aep.local.json's (image URI → command, relative paths from the repository root). */
  images?: Record<string, { command: string[] }>;
  /** Extraction caps of a model.tar.gz (aep.local.json's hosting.maxModelBytes / maxModelEntries); default AWS-sized. */
  modelCaps?: { maxModelBytes?: number; maxModelEntries?: number };
}

/**
 * The whole embedded AWS on a free port in a temp data dir, with the repo's aep.local.json images and short
 * timeouts, for e2e tests. Step logs are silenced unless AEP_LOG_LEVEL is set. Always `await stop()` (afterAll).
 */
export async function startTestAws(options: TestAwsOptions = {}): Promise<TestAws> {
  process.env.AEP_LOG_LEVEL ??= 'SILENT';
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'aep-e2e-'));
  const file = JSON.parse(readFileSync(join(REPO_ROOT, 'aep.local.json'), 'utf8')) as { images?: unknown; frameworks?: unknown };
  const config = parseLocalConfig(
    {
      images: { ...(file.images as object), ...options.images },
      frameworks: file.frameworks,
      hosting: { healthCheckTimeoutSeconds: options.healthCheckTimeoutSeconds ?? 15, stopGraceSeconds: 2, ...options.modelCaps },
    },
    REPO_ROOT,
    'test config',
  );
  const iamTemplate = options.iamTemplate === false ? undefined : (options.iamTemplate ?? synthesizedTemplate());
  const aws = await startEmbeddedAws({ port: 0, dataDir, config, waitScale: options.waitScale ?? 0.01, log: () => undefined, iamTemplate });
  const common = {
    endpoint: aws.url,
    region: aws.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const clients = {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    sfn: new SFNClient(common),
    sagemaker: new SageMakerClient(common),
    sagemakerRuntime: new SageMakerRuntimeClient(common),
  };
  const cliEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: aws.url,
    AWS_REGION: aws.region,
    AWS_DEFAULT_REGION: aws.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_PAGER: '',
  };
  return {
    aws,
    dataDir,
    clients,
    cliEnv,
    async stop() {
      Object.values(clients).forEach((client) => client.destroy());
      await aws.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
