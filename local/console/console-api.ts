import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
} from '@aws-sdk/client-sagemaker';
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { autoscaling, s3, sagemaker } from '../../functions/lib/clients';
import { parseS3Uri } from '../../functions/lib/s3-uri';
import { endpointNameFromKey } from '../../functions/validate-input/resolve-config';
import { readDeploymentHistory } from '../../cli/audit-history';
import { loadExecutionView, type ExecutionView } from '../../cli/execution-view';
import type { PipelineResources } from '../pipeline-resources';
import type { SageMakerRuntimeService } from '../sagemaker-runtime/service';
import type { SnsService } from '../sns/service';
import type { StepFunctionsService } from '../stepfunctions/service';

/**
 * The console's read-only data, from the services' public APIs: Step Functions (in-process listing, SDK for the
 * execution view), SageMaker and S3 through the SDK, SNS messages and the async queue counters in-process.
 */
export interface ConsoleSources {
  names: PipelineResources;
  stepFunctions: StepFunctionsService;
  sns: SnsService;
  sagemakerRuntime: SageMakerRuntimeService;
}

export interface ExecutionListItem {
  executionArn: string;
  name: string;
  status: string;
  endpointName?: string;
  modelDataUrl?: string;
  startDate: string;
  stopDate?: string;
  durationSeconds: number;
  error?: string;
  cause?: string;
}

/** Objects the console shows are cut at this size: it is a viewer, not a download service. */
const MAX_OBJECT_BYTES = 1024 * 1024;
const RECENT_INVOCATIONS = 25;

export function listExecutions(sources: ConsoleSources): ExecutionListItem[] {
  return sources.stepFunctions.listExecutionRecords(sources.names.stateMachineArn).map((r) => {
    const input = parseObject(r.input);
    const modelDataUrl = typeof input.modelDataUrl === 'string' ? input.modelDataUrl : undefined;
    const key = modelDataUrl ? parseS3Uri(modelDataUrl)?.key : undefined;
    return {
      executionArn: r.executionArn,
      name: r.name,
      status: r.status,
      endpointName: typeof input.endpointName === 'string' ? input.endpointName : key ? endpointNameFromKey(key) : undefined,
      modelDataUrl,
      startDate: new Date(r.startDate).toISOString(),
      stopDate: r.stopDate === undefined ? undefined : new Date(r.stopDate).toISOString(),
      durationSeconds: ((r.stopDate ?? Date.now()) - r.startDate) / 1000,
      error: r.error,
      cause: r.cause,
    };
  });
}

export function executionView(sources: ConsoleSources, executionArn: string): Promise<ExecutionView> {
  return loadExecutionView(executionArn, { artifactsBucket: sources.names.artifactsBucket });
}

export async function listEndpoints() {
  const page = await sagemaker().send(new ListEndpointsCommand({ MaxResults: 100 }));
  return (page.Endpoints ?? []).map((e) => ({
    name: e.EndpointName,
    status: e.EndpointStatus,
    createdAt: e.CreationTime?.toISOString(),
    modifiedAt: e.LastModifiedTime?.toISOString(),
  }));
}

/** One endpoint: what it serves, how many instances, its scaling, recent async invocations, notifications, deployments. */
export async function endpointDetails(sources: ConsoleSources, name: string) {
  const endpoint = await sagemaker().send(new DescribeEndpointCommand({ EndpointName: name }));
  const config = endpoint.EndpointConfigName
    ? await sagemaker().send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName })).catch(() => undefined)
    : undefined;
  const modelName = config?.ProductionVariants?.[0]?.ModelName;
  const model = modelName ? await sagemaker().send(new DescribeModelCommand({ ModelName: modelName })).catch(() => undefined) : undefined;
  const variant = endpoint.ProductionVariants?.[0];
  const configVariant = config?.ProductionVariants?.[0];
  const scaling = await autoscaling()
    .send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [`endpoint/${name}/variant/${variant?.VariantName ?? 'AllTraffic'}`] }))
    .then((r) => {
      const t = r.ScalableTargets?.[0];
      return t ? `autoscaled ${t.MinCapacity}–${t.MaxCapacity} instances` : 'not autoscaled';
    })
    .catch(() => 'not available here (no Application Auto Scaling)');

  const n = sources.names;
  const notifications = [n.asyncSuccessTopicArn, n.asyncErrorTopicArn]
    .flatMap((topic) => sources.sns.messages(topic))
    .map((m) => ({ message: m, event: parseObject(m.message) }))
    .filter(({ event }) => (event.requestParameters as { endpointName?: string } | undefined)?.endpointName === name)
    .sort((a, b) => b.message.timestamp.localeCompare(a.message.timestamp))
    .slice(0, RECENT_INVOCATIONS)
    .map(({ message, event }) => {
      const response = (event.responseParameters ?? {}) as { outputLocation?: string; failureLocation?: string };
      return {
        at: message.timestamp,
        topicArn: message.topicArn,
        inferenceId: event.inferenceId,
        status: event.invocationStatus,
        inputLocation: (event.requestParameters as { inputLocation?: string }).inputLocation,
        outputLocation: response.outputLocation,
        failureLocation: response.failureLocation,
        failureReason: event.failureReason,
      };
    });
  const deploymentEvents = sources.sns
    .messages(n.deploymentEventsTopicArn)
    .filter((m) => parseObject(m.message).endpointName === name)
    .slice(-RECENT_INVOCATIONS)
    .reverse()
    .map((m) => ({ at: m.timestamp, subject: m.subject, message: m.message }));
  const deployments = await readDeploymentHistory(n.artifactsBucket, name, 20).catch(() => []);

  return {
    name,
    status: endpoint.EndpointStatus,
    failureReason: endpoint.FailureReason,
    endpointConfigName: endpoint.EndpointConfigName,
    modifiedAt: endpoint.LastModifiedTime?.toISOString(),
    model: { name: modelName, image: model?.PrimaryContainer?.Image, modelDataUrl: model?.PrimaryContainer?.ModelDataUrl },
    instanceType: configVariant?.InstanceType,
    instances: { current: variant?.CurrentInstanceCount, desired: variant?.DesiredInstanceCount, configured: configVariant?.InitialInstanceCount },
    scaling,
    async: {
      maxConcurrentInvocationsPerInstance: config?.AsyncInferenceConfig?.ClientConfig?.MaxConcurrentInvocationsPerInstance,
      outputPath: config?.AsyncInferenceConfig?.OutputConfig?.S3OutputPath,
      failurePath: config?.AsyncInferenceConfig?.OutputConfig?.S3FailurePath,
      queue: sources.sagemakerRuntime.stats(name),
    },
    invocations: notifications,
    deploymentEvents,
    deployments,
  };
}

/** The first MiB of an object of the pipeline's buckets, as text for the browser to show. */
export async function readObject(sources: ConsoleSources, uri: string): Promise<{ body: Buffer; truncated: boolean } | undefined> {
  const location = parseS3Uri(uri);
  if (!location || ![sources.names.modelsBucket, sources.names.artifactsBucket].includes(location.bucket)) return undefined;
  const object = await s3()
    .send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key, Range: `bytes=0-${MAX_OBJECT_BYTES - 1}` }))
    .catch((error: Error) => {
      if (error.name === 'NoSuchKey' || error.name === 'InvalidRange') return undefined;
      throw error;
    });
  if (!object) return undefined;
  const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  const total = Number(/\/(\d+)$/.exec(object.ContentRange ?? '')?.[1] ?? body.length);
  return { body, truncated: total > body.length };
}

function parseObject(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
