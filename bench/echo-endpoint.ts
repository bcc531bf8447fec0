import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';

/** The async measurements' endpoint: the echo container on 2 instances × 4 concurrent invocations each. */
export const ECHO_INSTANCES = 2;
export const ECHO_PER_INSTANCE = 4;
/** A small JSON request (about 2 KB), the same for every call of both sides of a ratio. */
export const ECHO_PAYLOAD = Buffer.from(JSON.stringify({ instances: Array.from({ length: 64 }, (_, i) => ({ id: i, features: [i, i / 2, i / 3] })) }));

export class EchoEndpointFailed extends Error {
  override readonly name = 'EchoEndpointFailed';
}

/** Creates the echo async endpoint (outputs under `outputPath`, notifications to `successTopic` if given) and waits for InService. */
export async function createEchoEndpoint(
  sagemaker: SageMakerClient,
  roleArn: string,
  name: string,
  options: { outputPath: string; successTopic?: string },
): Promise<void> {
  await sagemaker.send(new CreateModelCommand({ ModelName: name, ExecutionRoleArn: roleArn, PrimaryContainer: { Image: 'local/echo:latest' } }));
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InstanceType: 'ml.m5.large', InitialInstanceCount: ECHO_INSTANCES }],
      AsyncInferenceConfig: {
        OutputConfig: {
          S3OutputPath: options.outputPath,
          ...(options.successTopic ? { NotificationConfig: { SuccessTopic: options.successTopic } } : {}),
        },
        ClientConfig: { MaxConcurrentInvocationsPerInstance: ECHO_PER_INSTANCE },
      },
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  for (;;) {
    const { EndpointStatus, FailureReason } = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    if (EndpointStatus === 'InService') return;
    if (EndpointStatus !== 'Creating') throw new EchoEndpointFailed(`The echo endpoint is ${EndpointStatus}: ${FailureReason}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `requests` calls of `one`, `concurrency` at a time; their throughput and each call's latency. */
export async function inFlight(requests: number, concurrency: number, one: (index: number) => Promise<void>): Promise<{ rps: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
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
