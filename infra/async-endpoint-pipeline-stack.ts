import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AsyncEndpointPipeline, type AsyncEndpointPipelineProps } from './async-endpoint-pipeline';
import { InvalidStackConfiguration, type PipelineConfig } from './pipeline-config';

export interface AsyncEndpointPipelineStackProps extends StackProps {
  /** The parsed `aep` context of cdk.json. */
  readonly config: PipelineConfig;
}

/** The deployable app: one pipeline configured from cdk.json, and its outputs. */
export class AsyncEndpointPipelineStack extends Stack {
  readonly pipeline: AsyncEndpointPipeline;

  constructor(scope: Construct, id: string, props: AsyncEndpointPipelineStackProps) {
    super(scope, id, props);
    this.pipeline = new AsyncEndpointPipeline(this, 'Pipeline', this.pipelineProps(props.config));

    const outputs: Record<string, string> = {
      StateMachineArn: this.pipeline.stateMachine.stateMachineArn,
      ModelsBucketName: this.pipeline.modelsBucket.bucketName,
      ArtifactsBucketName: this.pipeline.artifactsBucket.bucketName,
      AsyncSuccessTopicArn: this.pipeline.topics.asyncSuccess.topicArn,
      AsyncErrorTopicArn: this.pipeline.topics.asyncError.topicArn,
      DeploymentEventsTopicArn: this.pipeline.topics.deploymentEvents.topicArn,
      SageMakerRoleArn: this.pipeline.sagemakerRole.roleArn,
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }

  private pipelineProps(c: PipelineConfig): AsyncEndpointPipelineProps {
    return {
      pipelineId: c.pipelineId,
      namePrefix: c.namePrefix,
      referenceEndpoints: c.referenceEndpoints,
      defaults: c.defaults,
      retainPrevious: c.retainPrevious,
      autoscaling: c.autoscaling,
      kmsKey: c.kmsKeyArn ? kms.Key.fromKeyArn(this, 'KmsKey', c.kmsKeyArn) : undefined,
      modelsBucket: c.modelsBucketName ? s3.Bucket.fromBucketName(this, 'ModelsBucket', c.modelsBucketName) : undefined,
      artifactsBucket: c.artifactsBucketName
        ? s3.Bucket.fromBucketName(this, 'ArtifactsBucket', c.artifactsBucketName)
        : undefined,
      sagemakerRole: c.sagemakerRoleArn ? iam.Role.fromRoleArn(this, 'SageMakerRole', c.sagemakerRoleArn) : undefined,
      topics: {
        asyncSuccess: importTopic(this, 'AsyncSuccessTopic', c.asyncSuccessTopicArn),
        asyncError: importTopic(this, 'AsyncErrorTopic', c.asyncErrorTopicArn),
        deploymentEvents: importTopic(this, 'DeploymentEventsTopic', c.deploymentEventsTopicArn),
      },
      logRetention: c.logRetentionDays === undefined ? undefined : retentionDays(c.logRetentionDays),
      logLevel: c.logLevel,
      transientRetention: Duration.days(c.transientRetentionDays),
    };
  }
}

function importTopic(scope: Construct, id: string, arn: string | undefined): sns.ITopic | undefined {
  return arn ? sns.Topic.fromTopicArn(scope, id, arn) : undefined;
}

function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    throw new InvalidStackConfiguration(
      `logRetentionDays ${days} is not a CloudWatch Logs retention; use one of ${allowed.join(', ')}`,
    );
  }
  return days as logs.RetentionDays;
}
