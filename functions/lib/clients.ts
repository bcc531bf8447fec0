import type { Agent as HttpAgent } from 'node:http';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/** A credentials provider as every client's `credentials` setting takes it. */
export type CredentialsProvider = NonNullable<ConstructorParameters<typeof S3Client>[0]>['credentials'];

/**
 * One factory for every AWS client, so the cloud and the embedded AWS share one code path.
 * The SDK itself honours AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>); the only local concession is
 * path-style S3 addressing, because a loopback endpoint has no per-bucket DNS names.
 * Clients are cached per process so a warm Lambda reuses its connections. Each SDK package is loaded when its client
 * is first made: a process (a CLI command, a Lambda cold start) pays only for the services it calls.
 */
const cache = new Map<string, unknown>();

function cached<T>(name: string, make: () => T): T {
  if (!cache.has(name)) cache.set(name, make());
  return cache.get(name) as T;
}

let hostCredentials: CredentialsProvider | undefined;
let hostAgent: HttpAgent | undefined;

/**
 * Lets a host that runs several functions in one process (the embedded AWS) give every call the credentials of
 * the function making it. Never set in AWS Lambda, where each function has its own process and its role's
 * credentials come from the environment through the SDK's default chain.
 */
export function useHostCredentials(provider: CredentialsProvider | undefined): void {
  hostCredentials = provider;
  cache.clear();
}

/**
 * Lets that host carry the calls over its own connections (the embedded AWS: in-process, no socket; see
 * local/in-process-connections.ts). Never set in AWS Lambda.
 */
export function useHostAgent(agent: HttpAgent | undefined): void {
  hostAgent = agent;
  cache.clear();
}

const common = () => ({
  maxAttempts: Number(process.env.AEP_SDK_MAX_ATTEMPTS ?? 3),
  ...(hostCredentials === undefined ? {} : { credentials: hostCredentials }),
  ...(hostAgent === undefined ? {} : { requestHandler: { httpAgent: hostAgent } }),
});

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
export const s3 = (): S3Client =>
  cached('s3', () => {
    const { S3Client } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
    return new S3Client({ ...common(), forcePathStyle: process.env.AWS_ENDPOINT_URL !== undefined });
  });
export const sagemaker = (): SageMakerClient =>
  cached('sagemaker', () => new (require('@aws-sdk/client-sagemaker') as typeof import('@aws-sdk/client-sagemaker')).SageMakerClient(common()));
export const sagemakerRuntime = (): SageMakerRuntimeClient =>
  cached('sagemaker-runtime', () => new (require('@aws-sdk/client-sagemaker-runtime') as typeof import('@aws-sdk/client-sagemaker-runtime')).SageMakerRuntimeClient(common()));
export const sns = (): SNSClient => cached('sns', () => new (require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns')).SNSClient(common()));
export const sfn = (): SFNClient => cached('sfn', () => new (require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn')).SFNClient(common()));
export const autoscaling = (): ApplicationAutoScalingClient =>
  cached('application-autoscaling', () => new (require('@aws-sdk/client-application-auto-scaling') as typeof import('@aws-sdk/client-application-auto-scaling')).ApplicationAutoScalingClient(common()));
export const cloudwatch = (): CloudWatchClient =>
  cached('cloudwatch', () => new (require('@aws-sdk/client-cloudwatch') as typeof import('@aws-sdk/client-cloudwatch')).CloudWatchClient(common()));
/* eslint-enable @typescript-eslint/no-require-imports */

/** Drops cached clients; tests use it after changing the environment. */
export function resetClients(): void {
  cache.clear();
}
