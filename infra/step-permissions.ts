import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SCALABLE_DIMENSION, SCALABLE_NAMESPACE, scaleOutFromZeroAlarmName } from '../functions/lib/autoscaling-names';
import { TAGS } from '../functions/lib/names';
import type { PipelineTopics } from './pipeline-topics';
import { justifyWildcards } from './justified-wildcards';
import { sageMakerArnPatterns, type SageMakerResourceType } from './sagemaker-arns';

/** Everything a step's policy may name. */
export interface StepPermissionContext {
  readonly scope: Construct;
  readonly modelsBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly sagemakerRole: iam.IRole;
  readonly topics: PipelineTopics;
  readonly kmsKey?: kms.IKey;
  readonly topicsKey: kms.IKey;
  readonly pipelineId: string;
  readonly namePrefix: string;
  /** Endpoint name patterns a baseline may be invoked from (`*` wildcards). */
  readonly referenceEndpoints: readonly string[];
  /** Fixed name of the state machine, so policies can name its executions without depending on it. */
  readonly stateMachineName: string;
}

/**
 * Each step's own policy: only the actions its handler calls, on the resources it touches.
 * SageMaker resources are created only with the pipeline's tag, and changed or deleted only when they carry it,
 * so a pipeline cannot touch endpoints it did not create even when they match its name prefix.
 */
export function stepPolicyStatements(folder: string, c: StepPermissionContext): iam.PolicyStatement[] {
  const p = new StatementBuilder(c);
  switch (folder) {
    case 'validate-input':
      // deploy.json, the artifact (ranged GET), smoke payloads and baselines; ListBucket turns a missing key into 404.
      // DescribeEndpoint + ListTags: an existing endpoint without the pipeline's tag fails the run (EndpointNotOwned).
      return [...p.userInputsRead(), ...p.kms(c.kmsKey, 'read'), p.sageMakerRead(['DescribeEndpoint', 'ListTags'], ['endpoint'])];
    case 'acquire-lock':
      return [
        p.s3Read(c.artifactsBucket, 'locks/*'),
        p.s3Write(c.artifactsBucket, 'locks/*'),
        p.s3List(c.artifactsBucket),
        // A lock whose holder is no longer RUNNING is taken over.
        p.readExecutions(['DescribeExecution']),
        ...p.kms(c.kmsKey, 'readWrite'),
      ];
    case 'create-model':
      // Describe + ListTags: a retry finds the model it created (its execution tag) and carries on.
      return [
        ...p.sageMakerCreate('CreateModel', 'model'),
        p.sageMakerRead(['DescribeModel', 'ListTags'], ['model']),
        p.passRole(),
      ];
    case 'create-endpoint-config':
      return [
        ...p.sageMakerCreate('CreateEndpointConfig', 'endpoint-config'),
        p.sageMakerRead(['DescribeEndpointConfig', 'ListTags'], ['endpoint-config']),
        ...(c.kmsKey ? [p.kmsActions(c.kmsKey, ['kms:DescribeKey'])] : []),
      ];
    case 'deploy-endpoint':
      return [
        ...p.sageMakerCreate('CreateEndpoint', 'endpoint', ['endpoint-config']),
        p.sageMakerTagged(['UpdateEndpoint'], ['endpoint', 'endpoint-config']),
        // Records the previous config on the new (pipeline-tagged) config, for Rollback and redrives.
        p.sageMakerTagged(['AddTags'], ['endpoint-config']),
        // "adopt": true takes over an endpoint without the pipeline's tag by adding it.
        p.sageMakerAdopt(),
        p.sageMakerRead(['DescribeEndpoint', 'DescribeEndpointConfig', 'ListTags'], ['endpoint', 'endpoint-config']),
        // In-place at 0 instances: the scaling registration's scale-in is looked up and suspended while it is tested.
        ...p.variantScaling(['RegisterScalableTarget'], true),
        ...p.volumeKeyGrant(),
      ];
    case 'promote-endpoint':
      return [
        // Production and this run's config both carry the pipeline tag; the candidate is deleted (it carries it too).
        p.sageMakerTagged(['UpdateEndpoint'], ['endpoint', 'endpoint-config']),
        p.sageMakerTagged(['AddTags'], ['endpoint-config']),
        p.sageMakerTagged(['DeleteEndpoint'], ['endpoint']),
        p.sageMakerRead(['DescribeEndpoint', 'ListTags'], ['endpoint']),
        ...p.pipelineAlarms(),
        ...p.volumeKeyGrant(),
      ];
    case 'describe-endpoint':
      return [p.sageMakerRead(['DescribeEndpoint'], ['endpoint'])];
    case 'await-event':
      return [
        // The token store (waits/), and what the checks read: the async output or failure object (both in async-outputs/).
        p.s3Read(c.artifactsBucket, 'waits/*', 'async-outputs/*'),
        objectStatement(['s3:PutObject', 's3:DeleteObject'], c.artifactsBucket, ['waits/*']),
        p.s3List(c.artifactsBucket),
        p.sageMakerRead(['DescribeEndpoint'], ['endpoint']),
        p.taskResponse(),
        ...p.kms(c.kmsKey, 'readWrite'),
      ];
    case 'smoke-invoke':
      return [
        // CopyObject reads the payload and writes the async input, server-side.
        ...p.userInputsRead(),
        p.s3Write(c.artifactsBucket, 'async-inputs/*'),
        p.sageMakerInvoke('InvokeEndpointAsync'),
        ...p.kms(c.kmsKey, 'readWrite'),
      ];
    case 'check-output':
      return [
        p.s3Read(c.artifactsBucket, 'async-outputs/*'),
        p.s3List(c.artifactsBucket),
        ...p.kms(c.kmsKey, 'read'),
      ];
    case 'compare-to-baseline':
      return [
        // The output, and the baseline object or the payload to send a reference endpoint.
        ...p.userInputsRead(),
        p.s3Write(c.artifactsBucket, 'reports/*'),
        // A baseline may come from a reference endpoint, invoked in real time: only the configured ones.
        p.referenceEndpointInvoke(),
        ...p.kms(c.kmsKey, 'readWrite'),
      ];
    case 'finalize':
      return [
        // The audit record: built from the state and the execution input the ASL passes, so no Step Functions read.
        p.s3Write(c.artifactsBucket, 'audit/*'),
        ...p.lockRelease(),
        p.sageMakerList(['ListEndpointConfigs', 'ListModels']),
        p.sageMakerRead(['DescribeEndpoint'], ['endpoint']),
        p.sageMakerTagged(['DeleteEndpointConfig', 'DeleteModel'], ['endpoint-config', 'model']),
        ...p.publish(c.topics.deploymentEvents),
        ...p.kms(c.kmsKey, 'readWrite'),
        // deploy.json and the execution input may ask for autoscaling, not only the stack's defaults; it includes
        // what an in-place release at 0 instances needs (back to 0, scale-in resumed).
        ...p.autoscaling(),
      ];
    case 'rollback':
      return [
        // ListTags: Rollback deletes only what this execution created (its execution tag).
        p.sageMakerRead(
          ['DescribeEndpoint', 'DescribeEndpointConfig', 'DescribeModel', 'ListTags'],
          ['endpoint', 'endpoint-config', 'model'],
        ),
        p.sageMakerTagged(
          ['UpdateEndpoint', 'DeleteEndpoint', 'DeleteEndpointConfig', 'DeleteModel'],
          ['endpoint', 'endpoint-config', 'model'],
        ),
        // In-place at 0 instances: back to 0 before the previous config is restored, scale-in resumed.
        ...p.variantScaling(['RegisterScalableTarget']),
        ...p.volumeKeyGrant(),
      ];
    case 'record-failure':
      return [
        p.s3Write(c.artifactsBucket, 'audit/*'),
        ...p.lockRelease(),
        ...p.publish(c.topics.deploymentEvents),
        ...p.kms(c.kmsKey, 'readWrite'),
      ];
    default:
      throw new Error(`No permissions are defined for step "${folder}": add it to infra/step-permissions.ts`);
  }
}

const NAMES_ARE_PER_RUN =
  "Model, endpoint-config and endpoint names are chosen per deployment, so they are matched by the pipeline's name prefix.";

/** An S3 object statement on key patterns; a pattern ending in `*` is one prefix the step owns. */
function objectStatement(actions: string[], bucket: s3.IBucket, keyPatterns: string[]): iam.PolicyStatement {
  return justifyWildcards(
    new iam.PolicyStatement({ actions, resources: keyPatterns.map((k) => bucket.arnForObjects(k)) }),
    `Object keys are per endpoint and execution, so access is granted by prefix: ${keyPatterns.join(', ')} of one pipeline bucket.`,
  );
}

class StatementBuilder {
  private readonly stack: Stack;

  constructor(private readonly c: StepPermissionContext) {
    this.stack = Stack.of(c.scope);
  }

  s3Read(bucket: s3.IBucket, ...keyPatterns: string[]) {
    return objectStatement(['s3:GetObject'], bucket, keyPatterns);
  }

  s3Write(bucket: s3.IBucket, ...keyPatterns: string[]) {
    return objectStatement(['s3:PutObject'], bucket, keyPatterns);
  }

  /**
   * Objects a deployment names (artifact, deploy.json, smoke payloads, baselines) may be in either pipeline bucket;
   * ValidateInput refuses any other bucket. Read-only.
   */
  userInputsRead() {
    const { modelsBucket, artifactsBucket } = this.c;
    return [
      justifyWildcards(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [modelsBucket.arnForObjects('*'), artifactsBucket.arnForObjects('*')],
        }),
        'Artifacts, deploy.json, smoke payloads and baselines are named per deployment and may be in either pipeline bucket (ValidateInput refuses others); read-only.',
      ),
      this.s3List(modelsBucket),
      this.s3List(artifactsBucket),
    ];
  }

  /** Without ListBucket, S3 answers 403 instead of 404 for a missing key, and "not there yet" looks like a permission error. */
  s3List(bucket: s3.IBucket) {
    return new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] });
  }

  lockRelease() {
    const b = this.c.artifactsBucket;
    return [
      objectStatement(['s3:GetObject', 's3:DeleteObject'], b, ['locks/*']),
      this.s3List(b),
    ];
  }

  /** KMS for SSE-KMS objects in the pipeline buckets, when a key is configured. */
  kms(key: kms.IKey | undefined, use: 'read' | 'readWrite') {
    if (!key) return [];
    return [this.kmsActions(key, use === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:GenerateDataKey'])];
  }

  kmsActions(key: kms.IKey, actions: string[]) {
    return new iam.PolicyStatement({ actions, resources: [key.keyArn] });
  }

  /** The endpoint's ML storage volume is encrypted with the key: SageMaker creates a grant as the caller. */
  volumeKeyGrant() {
    const key = this.c.kmsKey;
    if (!key) return [];
    return [
      this.kmsActions(key, ['kms:DescribeKey']),
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    ];
  }

  private arns(types: SageMakerResourceType[]) {
    return sageMakerArnPatterns(this.c.scope, types, this.c.namePrefix);
  }

  /** Create only with the pipeline tag in the request; AddTags only as part of that Create call. */
  sageMakerCreate(action: string, type: SageMakerResourceType, alsoAuthorizedOn: SageMakerResourceType[] = []) {
    const requestTag = { [`aws:RequestTag/${TAGS.pipeline}`]: this.c.pipelineId };
    const why = `${NAMES_ARE_PER_RUN} Creating also requires the request to tag the resource ${TAGS.pipeline}=${this.c.pipelineId}.`;
    return [
      justifyWildcards(
        new iam.PolicyStatement({
          actions: [`sagemaker:${action}`],
          resources: this.arns([type, ...alsoAuthorizedOn]),
          conditions: { StringEquals: requestTag },
        }),
        why,
      ),
      justifyWildcards(
        new iam.PolicyStatement({
          actions: ['sagemaker:AddTags'],
          resources: this.arns([type]),
          conditions: { StringEquals: { ...requestTag, 'sagemaker:TaggingAction': action } },
        }),
        why,
      ),
    ];
  }

  /** Change or delete only what carries the pipeline's tag. */
  sageMakerTagged(actions: string[], types: SageMakerResourceType[]) {
    return justifyWildcards(
      new iam.PolicyStatement({
        actions: actions.map((a) => `sagemaker:${a}`),
        resources: this.arns(types),
        conditions: { StringEquals: { [`aws:ResourceTag/${TAGS.pipeline}`]: this.c.pipelineId } },
      }),
      `${NAMES_ARE_PER_RUN} Changing or deleting also requires the resource tag ${TAGS.pipeline}=${this.c.pipelineId}.`,
    );
  }

  /** Adding the pipeline's tag to an endpoint, and nothing else: how "adopt": true takes an endpoint over. */
  sageMakerAdopt() {
    return justifyWildcards(
      new iam.PolicyStatement({
        actions: ['sagemaker:AddTags'],
        resources: this.arns(['endpoint']),
        conditions: {
          StringEquals: { [`aws:RequestTag/${TAGS.pipeline}`]: this.c.pipelineId },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [TAGS.pipeline, TAGS.endpoint] },
        },
      }),
      `${NAMES_ARE_PER_RUN} Only the pipeline's own tags (${TAGS.pipeline}=${this.c.pipelineId}, ${TAGS.endpoint}) may be added.`,
    );
  }

  /** The alarms release.createAlarms puts (<endpoint>-aep-<metric>), so scoped by the name prefix. */
  pipelineAlarms() {
    return [
      this.putAlarms(
        `${this.c.namePrefix}*-aep-*`,
        "Alarm names are <endpoint>-aep-<metric>, per endpoint: matched by the pipeline's name prefix and the -aep- infix.",
      ),
    ];
  }

  /** cloudwatch:PutMetricAlarm on alarms whose names match `namePattern` (alarm names are per endpoint). */
  private putAlarms(namePattern: string, reason: string) {
    return justifyWildcards(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricAlarm'],
        resources: [
          this.stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: namePattern,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
      reason,
    );
  }

  /** Describe must work before the tag is known (an endpoint that exists but is not ours is an error to report). */
  sageMakerRead(actions: string[], types: SageMakerResourceType[]) {
    return justifyWildcards(
      new iam.PolicyStatement({ actions: actions.map((a) => `sagemaker:${a}`), resources: this.arns(types) }),
      `${NAMES_ARE_PER_RUN} Read-only.`,
    );
  }

  sageMakerList(actions: string[]) {
    return justifyWildcards(
      new iam.PolicyStatement({ actions: actions.map((a) => `sagemaker:${a}`), resources: ['*'] }),
      'SageMaker List* actions support no resource-level permissions; they are read-only and Finalize deletes only what carries the pipeline tag.',
    );
  }

  sageMakerInvoke(action: 'InvokeEndpointAsync') {
    return justifyWildcards(
      new iam.PolicyStatement({ actions: [`sagemaker:${action}`], resources: this.arns(['endpoint']) }),
      `Endpoints are chosen per deployment; ${action} is limited to endpoints with the pipeline's name prefix.`,
    );
  }

  /** Real-time InvokeEndpoint on the configured reference endpoints only (ValidateInput refuses any other). */
  referenceEndpointInvoke() {
    const resources = this.c.referenceEndpoints.map((pattern) =>
      this.stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: pattern.toLowerCase() }),
    );
    const statement = new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources });
    return justifyWildcards(
      statement,
      `Baselines come from the reference endpoints the stack configures (${this.c.referenceEndpoints.join(', ')}); a pattern matches the endpoints it names.`,
    );
  }

  passRole() {
    return new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.c.sagemakerRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
  }

  /** sns:Publish on one topic, and the topic key to encrypt the message with. */
  publish(topic: { topicArn: string }) {
    return [
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
      this.kmsActions(this.c.topicsKey, ['kms:Decrypt', 'kms:GenerateDataKey']),
    ];
  }

  readExecutions(actions: Array<'DescribeExecution' | 'GetExecutionHistory'>) {
    const statement = new iam.PolicyStatement({
      actions: actions.map((a) => `states:${a}`),
      resources: [
        this.stack.formatArn({
          service: 'states',
          resource: 'execution',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: `${this.c.stateMachineName}:*`,
        }),
      ],
    });
    return justifyWildcards(statement, "Executions of this pipeline's own state machine only; their names are not known in advance.");
  }

  /** Resumes the waiting Tasks of this pipeline's state machine (SendTaskSuccess/Failure: resource is the state machine). */
  taskResponse() {
    return new iam.PolicyStatement({
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      resources: [
        this.stack.formatArn({
          service: 'states',
          resource: 'stateMachine',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: this.c.stateMachineName,
        }),
      ],
    });
  }

  /**
   * Application Auto Scaling on a SageMaker variant, with the capacity change it requires of the caller. Besides
   * autoscaling's set-up: an endpoint at 0 instances released in place (functions/lib/scaled-to-zero.ts) has its
   * dynamic scale-in suspended while the smoke tests run on the instances the update brought up, then its count set
   * back to 0 and scale-in resumed. RegisterScalableTarget only acts where the caller may itself change the
   * variant's capacity, which is limited to pipeline-tagged endpoints here.
   */
  variantScaling(actions: Array<'RegisterScalableTarget' | 'PutScalingPolicy'>, describe = false) {
    return [
      justifyWildcards(
        new iam.PolicyStatement({
          actions: actions.map((a) => `application-autoscaling:${a}`),
          resources: ['*'],
          // Both actions support these keys (Service Authorization Reference): SageMaker variants' instance counts only.
          conditions: {
            StringEquals: {
              'application-autoscaling:service-namespace': SCALABLE_NAMESPACE,
              'application-autoscaling:scalable-dimension': SCALABLE_DIMENSION,
            },
          },
        }),
        'A scalable target\'s ARN has an id Application Auto Scaling assigns when it is first registered, so only "*" applies; limited to SageMaker variants\' instance counts, and Application Auto Scaling checks that the caller may change the endpoint (pipeline-tagged only).',
      ),
      ...(describe
        ? [
            justifyWildcards(
              new iam.PolicyStatement({ actions: ['application-autoscaling:DescribeScalableTargets'], resources: ['*'] }),
              'Application Auto Scaling Describe* actions support no resource or condition keys; read-only.',
            ),
          ]
        : []),
      this.sageMakerTagged(['UpdateEndpointWeightsAndCapacities'], ['endpoint']),
    ];
  }

  /**
   * Scale-to-zero registration: a target-tracking policy on ApproximateBacklogSizePerInstance and a step policy
   * for scaling out from zero, triggered by a HasBacklogWithoutCapacity alarm named after the endpoint.
   * Registering creates Application Auto Scaling's service-linked role on first use.
   */
  autoscaling() {
    const serviceLinkedRole = this.stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName:
        'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
    });
    return [
      // RegisterScalableTarget checks that the caller itself could describe the endpoint and change its capacity.
      ...this.variantScaling(['RegisterScalableTarget', 'PutScalingPolicy']),
      this.sageMakerRead(['DescribeEndpointConfig'], ['endpoint-config']),
      this.putAlarms(
        scaleOutFromZeroAlarmName(`${this.c.namePrefix}*`),
        'The scale-out-from-zero alarm is named after the endpoint, which is only known per deployment; scoped to the name prefix and suffix.',
      ),
      new iam.PolicyStatement({
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [serviceLinkedRole],
        conditions: { StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } },
      }),
    ];
  }
}
