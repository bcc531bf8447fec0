import { LOCAL_ACCOUNT_ID } from './service';

/**
 * The names of the pipeline's resources in the embedded AWS, in one place: the buckets, topics and state machine
 * that exist from start-up, and the function names the state machine's Task ARNs point at. They mirror what the
 * CDK stack creates in an account, so a command that works against one works against the other.
 */
export const PIPELINE_RESOURCE_NAMES = {
  modelsBucket: 'aep-models',
  artifactsBucket: 'aep-artifacts',
  asyncSuccessTopic: 'aep-async-success',
  asyncErrorTopic: 'aep-async-error',
  deploymentEventsTopic: 'aep-deployment-events',
  stateMachine: 'aep-deploy-async-endpoint',
  sagemakerRole: 'aep-sagemaker-execution',
  stateMachineRole: 'aep-state-machine',
  /** The EventBridge rule that sends settled endpoint state changes to the AwaitEvent step. */
  endpointStateChangeRule: 'aep-endpoint-state-change',
  /** The `aep:pipeline` tag value of everything the local pipeline creates. */
  pipelineId: 'aep-local',
} as const;

/** Every step function is named `aep-<step>`, `<step>` being its folder under functions/. */
export const FUNCTION_NAME_PREFIX = 'aep-';

/** The pipeline's resources as ARNs and names, as a user (or a test) addresses them. */
export interface PipelineResources {
  region: string;
  modelsBucket: string;
  artifactsBucket: string;
  asyncSuccessTopicArn: string;
  asyncErrorTopicArn: string;
  deploymentEventsTopicArn: string;
  stateMachineArn: string;
  sagemakerRoleArn: string;
  stateMachineRoleArn: string;
  pipelineId: string;
}

export const topicArn = (region: string, name: string) => `arn:aws:sns:${region}:${LOCAL_ACCOUNT_ID}:${name}`;
export const stateMachineArn = (region: string, name: string) =>
  `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${name}`;
export const roleArn = (name: string) => `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}`;
export const functionArn = (region: string, functionName: string) =>
  `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;

export function pipelineResources(region: string): PipelineResources {
  const n = PIPELINE_RESOURCE_NAMES;
  return {
    region,
    modelsBucket: n.modelsBucket,
    artifactsBucket: n.artifactsBucket,
    asyncSuccessTopicArn: topicArn(region, n.asyncSuccessTopic),
    asyncErrorTopicArn: topicArn(region, n.asyncErrorTopic),
    deploymentEventsTopicArn: topicArn(region, n.deploymentEventsTopic),
    stateMachineArn: stateMachineArn(region, n.stateMachine),
    sagemakerRoleArn: roleArn(n.sagemakerRole),
    stateMachineRoleArn: roleArn(n.stateMachineRole),
    pipelineId: n.pipelineId,
  };
}
