import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeJustifiedWildcards, justifyWildcards } from './justified-wildcards';

export interface SageMakerExecutionGrants {
  readonly modelsBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly asyncTopics: sns.ITopic[];
  /** Encrypts the buckets and async outputs/volumes, when configured. */
  readonly kmsKey?: kms.IKey;
  /** Encrypts the topics (the pipeline key, or the construct's topic key). */
  readonly topicsKey: kms.IKey;
  readonly namePrefix: string;
}

/** The role SageMaker assumes to pull the image and model, read async inputs and write outputs and notifications. */
export function createSageMakerExecutionRole(scope: Construct, id: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
    description: 'aep: SageMaker execution role of the pipeline models and asynchronous endpoints',
  });
}

/**
 * Adds exactly what hosting an asynchronous endpoint needs to `role` (a new or an imported, mutable role).
 * Statements carry Sids so tests and reviewers can find each one.
 */
export function grantSageMakerExecution(scope: Construct, role: iam.IRole, g: SageMakerExecutionGrants): void {
  const stack = Stack.of(scope);
  const endpointLogGroups = stack.formatArn({
    service: 'logs',
    resource: 'log-group',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    resourceName: `/aws/sagemaker/Endpoints/${g.namePrefix}*`,
  });
  const statements = [
    justifyWildcards(
      new iam.PolicyStatement({
        sid: 'ReadModelArtifacts',
        actions: ['s3:GetObject'],
        resources: [g.modelsBucket.arnForObjects('*')],
      }),
      'Model artifacts are any object of the pipeline models bucket (models/<endpoint>/<version>/model.tar.gz); read-only.',
    ),
    justifyWildcards(
      new iam.PolicyStatement({
        sid: 'ReadAsyncInputs',
        actions: ['s3:GetObject'],
        resources: [g.artifactsBucket.arnForObjects('async-inputs/*')],
      }),
      'Async inputs are per endpoint and execution, so they are granted by their async-inputs/ prefix.',
    ),
    justifyWildcards(
      new iam.PolicyStatement({
        sid: 'WriteAsyncOutputs',
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [g.artifactsBucket.arnForObjects('async-outputs/*')],
      }),
      'SageMaker names each async output/failure object itself, under S3OutputPath/S3FailurePath: both async-outputs/<endpoint>/.',
    ),
    new iam.PolicyStatement({
      sid: 'PublishAsyncNotifications',
      actions: ['sns:Publish'],
      resources: g.asyncTopics.map((t) => t.topicArn),
    }),
    justifyWildcards(
      new iam.PolicyStatement({ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      'ecr:GetAuthorizationToken supports no resource-level permissions.',
    ),
    justifyWildcards(
      new iam.PolicyStatement({
        sid: 'PullInferenceImages',
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [stack.formatArn({ service: 'ecr', account: '*', resource: 'repository', resourceName: '*' })],
      }),
      "The image is chosen per deployment and is often an AWS Deep Learning Container in an AWS-owned account; pull-only, this region's registries.",
    ),
    justifyWildcards(
      new iam.PolicyStatement({
        sid: 'EndpointLogs',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [endpointLogGroups, `${endpointLogGroups}:log-stream:*`],
      }),
      "SageMaker writes container logs to /aws/sagemaker/Endpoints/<endpoint>; endpoints share the pipeline's name prefix.",
    ),
    justifyWildcards(
      new iam.PolicyStatement({
        sid: 'EndpointMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'AWS/SageMaker'] } },
      }),
      "cloudwatch:PutMetricData supports no resource-level permissions; it is limited to SageMaker's namespaces by condition.",
    ),
  ];
  for (const statement of statements) role.addToPrincipalPolicy(statement);
  acknowledgeJustifiedWildcards(role, statements);

  if (g.kmsKey) {
    // Decrypt the model and inputs, encrypt outputs and the instance volume (SageMaker creates a grant for it).
    g.kmsKey.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    grantKmsGrantForAwsResource(g.kmsKey, role);
  }
  if (g.topicsKey !== g.kmsKey) g.topicsKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
}

/** kms:CreateGrant only for grants an AWS service makes on our behalf (SageMaker volume encryption). */
export function grantKmsGrantForAwsResource(key: kms.IKey, grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:CreateGrant'],
      resources: [key.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  );
}
