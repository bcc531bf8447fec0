import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import * as z from 'zod';
import {
  deploymentDefaultsSchema,
  describeIssues,
  type DeploymentDefaults,
} from '../functions/lib/deployment-input';
import type { PipelineEnvironmentVariables } from '../functions/lib/environment';
import { ENDPOINT_NAME_MAX } from '../functions/lib/names';
import { defaultReferenceEndpoints, REFERENCE_ENDPOINT_PATTERN } from '../functions/lib/reference-endpoints';
import {
  acknowledgeDeadLetterQueueFindings,
  acknowledgeStateMachineFindings,
  acknowledgeStepLambdaFindings,
} from './nag-suppressions';
import { connectEventWaits } from './event-waits';
import { allowLogGroupEncryption } from './log-encryption';
import { createAccessLogsBucket, createArtifactsBucket, createModelsBucket } from './pipeline-buckets';
import { createPipelineTopics, type PipelineTopics } from './pipeline-topics';
import { createSageMakerExecutionRole, grantSageMakerExecution } from './sagemaker-execution-role';
import { ASL_FILE, PIPELINE_STEPS, substitutionKey } from './step-functions';
import { StepLambda } from './step-lambda';
import { stepPolicyStatements } from './step-permissions';

/** Deployment defaults as a user writes them (fields with schema defaults may be omitted). */
export type DeploymentDefaultsInput = z.input<typeof deploymentDefaultsSchema>;
export type AutoscalingInput = NonNullable<DeploymentDefaultsInput['autoscaling']>;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Properties of an {@link AsyncEndpointPipeline}. */
export interface AsyncEndpointPipelineProps {
  /**
   * The bucket ML engineers upload `models/<endpoint>/<version>/model.tar.gz` to. An upload whose key starts with
   * `models/` and ends with `model.tar.gz` starts a deployment. An imported bucket must have EventBridge
   * notifications enabled already (CloudFormation cannot change a bucket it does not own).
   *
   * @default - a new versioned bucket: private, encrypted (the KMS key if given, else S3-managed), TLS-only,
   *   access-logged, EventBridge notifications on
   */
  readonly modelsBucket?: s3.IBucket;

  /**
   * The pipeline's working bucket: `async-inputs/`, `async-outputs/` (outputs and failures), `reports/`, `audit/`, `locks/`.
   *
   * @default - a new bucket like the models bucket, with `async-*` and `reports/` expiring after `transientRetention`
   */
  readonly artifactsBucket?: s3.IBucket;

  /**
   * How long async inputs/outputs/failures and comparison reports are kept in a new artifacts bucket.
   *
   * @default Duration.days(30)
   */
  readonly transientRetention?: Duration;

  /**
   * The stack's deployment defaults, the lowest layer under `deploy.json` and the execution input
   * (image, instanceType, instanceCount, environment, async, smokeTests, poll, timeouts, onFailure, …).
   * Validated at synth time with the same schema the workflow uses.
   *
   * @default - the built-in defaults of functions/lib/deployment-input.ts (no image: every deployment names one)
   */
  readonly defaults?: DeploymentDefaultsInput;

  /**
   * How many superseded model/config pairs Finalize keeps per endpoint. Overrides `defaults.retainPrevious`.
   *
   * @default - `defaults.retainPrevious`, else 2
   */
  readonly retainPrevious?: number;

  /**
   * Scale-to-zero autoscaling registered by Finalize for every deployed endpoint. Overrides `defaults.autoscaling`.
   * Finalize may register autoscaling whether or not it is set here, because `deploy.json` and the execution input
   * can ask for it too: its grant is limited to SageMaker variants' instance counts, to endpoints carrying the
   * pipeline's tag and to alarms named after the pipeline's endpoints.
   *
   * @default - `defaults.autoscaling`, else no autoscaling unless a deployment asks for it
   */
  readonly autoscaling?: AutoscalingInput;

  /**
   * The role SageMaker assumes for the models and endpoints. The pipeline adds its permissions to it
   * (import it with `mutable: false` to manage them yourself).
   *
   * @default - a new role trusted by sagemaker.amazonaws.com with least-privilege permissions
   */
  readonly sagemakerRole?: iam.IRole;

  /**
   * Topics for async success/error notifications and deployment events; any not given is created.
   *
   * @default - three new topics, encrypted and TLS-only
   */
  readonly topics?: Partial<PipelineTopics>;

  /**
   * Customer managed key for the buckets, the topics, SageMaker async outputs and instance volumes, and the log
   * groups (the state machine's logs hold execution data, model environment values included). Its key policy must
   * let the account's IAM policies grant its use (the default key policy does) and let CloudWatch Logs use it for
   * this account's log groups: the construct adds that statement to a key defined in the same app; an imported
   * key's policy must already have it (the statement of infra/log-encryption.ts).
   *
   * @default - S3-managed bucket encryption, a new rotating customer managed key for the topics only
   */
  readonly kmsKey?: kms.IKey;

  /**
   * Every endpoint name must start with this prefix, and the functions' SageMaker permissions are scoped to it.
   *
   * @default '' (any endpoint name)
   */
  readonly namePrefix?: string;

  /**
   * The endpoints a smoke case may take its baseline from (`baseline.endpointName`, invoked in real time): names, in
   * which `*` stands for any characters (`recsys-realtime`, `ref-*`). CompareToBaseline may invoke only these, and
   * ValidateInput refuses a deployment naming any other.
   *
   * @default - the endpoints starting with `namePrefix` (`<namePrefix>*`)
   */
  readonly referenceEndpoints?: string[];

  /**
   * Identifies this pipeline: the `aep:pipeline` tag value on every SageMaker resource it creates (IAM
   * conditions key on it) and the state machine's name. 1–64 letters, digits, `-` or `_`.
   *
   * @default - a name unique to this construct's path in the app
   */
  readonly pipelineId?: string;

  /**
   * Retention of the functions', state machine's and access logs.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The functions' log level (Powertools Logger).
   *
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
}

const S3_ACCESS_LOGS_USE_BUCKET_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';
const PIPELINE_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/;
const NAME_PREFIX = /^([a-zA-Z0-9][a-zA-Z0-9-]*)?$/;

/** A construct configured with values no deployment could work with; the message says which and why. */
export class InvalidPipelineConfiguration extends Error {
  override readonly name = 'InvalidPipelineConfiguration';
}

/**
 * Deploys models to SageMaker asynchronous inference endpoints through the Step Functions workflow of
 * statemachines/deploy-async-endpoint.asl.json: a `model.tar.gz` uploaded under `models/` starts it, and so can
 * the console or `aep deploy`.
 */
export class AsyncEndpointPipeline extends Construct {
  readonly modelsBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  /** The server access log bucket, when the construct created a bucket to log. */
  readonly accessLogsBucket?: s3.IBucket;
  readonly topics: PipelineTopics;
  /** The key encrypting the topics: `kmsKey`, or one the construct created. */
  readonly topicsKey: kms.IKey;
  readonly sagemakerRole: iam.IRole;
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineLogGroup: logs.LogGroup;
  readonly trigger: events.Rule;
  readonly triggerDeadLetterQueue: sqs.Queue;
  /** Settled endpoint state changes → AwaitEvent (event-driven waits). */
  readonly endpointStateChanges: events.Rule;
  /** The step functions by folder name (`validate-input`, …). */
  readonly functions: Readonly<Record<string, StepLambda>>;
  readonly pipelineId: string;
  readonly namePrefix: string;
  /** Endpoint name patterns a baseline may be invoked from. */
  readonly referenceEndpoints: string[];
  /** The resolved defaults every function receives as DEPLOYMENT_DEFAULTS. */
  readonly defaults: DeploymentDefaults;

  constructor(scope: Construct, id: string, props: AsyncEndpointPipelineProps = {}) {
    super(scope, id);
    // S3 access logs delivered under a bucket policy, not the legacy LogDeliveryWrite ACL (which needs ACLs
    // enabled on the log bucket). Context set here applies to this construct's children whatever the app's flags.
    this.node.setContext(S3_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.namePrefix = validNamePrefix(props.namePrefix ?? '');
    this.pipelineId = validPipelineId(props.pipelineId ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }));
    this.referenceEndpoints = validReferenceEndpoints(props.referenceEndpoints ?? defaultReferenceEndpoints(this.namePrefix));
    this.defaults = resolveDefaults(props);
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;

    if (!props.modelsBucket || !props.artifactsBucket) {
      this.accessLogsBucket = createAccessLogsBucket(this, 'AccessLogsBucket', Duration.days(logRetention));
    }
    this.modelsBucket = props.modelsBucket ?? createModelsBucket(this, 'ModelsBucket', props.kmsKey, this.accessLogsBucket!);
    this.artifactsBucket =
      props.artifactsBucket ??
      createArtifactsBucket(
        this,
        'ArtifactsBucket',
        props.kmsKey,
        this.accessLogsBucket!,
        props.transientRetention ?? Duration.days(30),
      );

    this.topicsKey =
      props.kmsKey ??
      new kms.Key(this, 'TopicsKey', {
        description: `aep ${this.pipelineId}: encrypts the pipeline's SNS topics`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.topics = createPipelineTopics(this, this.topicsKey, props.topics);

    this.sagemakerRole = props.sagemakerRole ?? createSageMakerExecutionRole(this, 'SageMakerRole');
    grantSageMakerExecution(this, this.sagemakerRole, {
      modelsBucket: this.modelsBucket,
      artifactsBucket: this.artifactsBucket,
      asyncTopics: [this.topics.asyncSuccess, this.topics.asyncError],
      kmsKey: props.kmsKey,
      topicsKey: this.topicsKey,
      namePrefix: this.namePrefix,
    });

    if (props.kmsKey) allowLogGroupEncryption(this, props.kmsKey);
    // Named up front so each function's policy can name the executions without depending on the state machine.
    const stateMachineName = this.pipelineId;
    const environment = this.functionEnvironment(props);
    const functions: Record<string, StepLambda> = {};
    for (const step of PIPELINE_STEPS) {
      functions[step.folder] = new StepLambda(this, step.name, {
        step,
        environment,
        logRetention,
        logRemovalPolicy: RemovalPolicy.RETAIN,
        logEncryptionKey: props.kmsKey,
        statements: stepPolicyStatements(step.folder, {
          scope: this,
          modelsBucket: this.modelsBucket,
          artifactsBucket: this.artifactsBucket,
          sagemakerRole: this.sagemakerRole,
          topics: this.topics,
          kmsKey: props.kmsKey,
          topicsKey: this.topicsKey,
          pipelineId: this.pipelineId,
          namePrefix: this.namePrefix,
          referenceEndpoints: this.referenceEndpoints,
          stateMachineName,
        }),
      });
      acknowledgeStepLambdaFindings(functions[step.folder]);
    }
    this.functions = functions;

    this.stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: props.kmsKey,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(ASL_FILE),
      definitionSubstitutions: Object.fromEntries(
        PIPELINE_STEPS.map((step) => [substitutionKey(step), functions[step.folder].function.functionArn]),
      ),
      logs: { destination: this.stateMachineLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // The ASL file names the unqualified function ARNs, so exactly those (no `:*` versions or aliases).
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: PIPELINE_STEPS.map((step) => functions[step.folder].function.functionArn),
      }),
    );
    acknowledgeStateMachineFindings(this.stateMachine);

    this.triggerDeadLetterQueue = new sqs.Queue(this, 'TriggerDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeDeadLetterQueueFindings(this.triggerDeadLetterQueue);
    this.trigger = new events.Rule(this, 'ModelUploaded', {
      description: `aep ${this.pipelineId}: starts a deployment when a model.tar.gz is uploaded under models/`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [this.modelsBucket.bucketName] },
          object: { key: [{ wildcard: 'models/*model.tar.gz' }] },
        },
      },
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          // endpointName and everything else are derived by ValidateInput from the key and the defaults.
          input: events.RuleTargetInput.fromObject({
            modelDataUrl: `s3://${events.EventField.fromPath('$.detail.bucket.name')}/${events.EventField.fromPath('$.detail.object.key')}`,
          }),
          deadLetterQueue: this.triggerDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
    this.endpointStateChanges = connectEventWaits(this, {
      awaitEvent: functions['await-event'].function,
      topics: this.topics,
      namePrefix: this.namePrefix,
      pipelineId: this.pipelineId,
      deadLetterQueue: this.triggerDeadLetterQueue,
    });
  }

  /** The environment of every step function: the variables functions/lib/environment.ts reads. */
  private functionEnvironment(props: AsyncEndpointPipelineProps): Record<string, string> {
    const variables: Required<PipelineEnvironmentVariables> = {
      MODELS_BUCKET: this.modelsBucket.bucketName,
      ARTIFACTS_BUCKET: this.artifactsBucket.bucketName,
      SAGEMAKER_ROLE_ARN: this.sagemakerRole.roleArn,
      ASYNC_SUCCESS_TOPIC_ARN: this.topics.asyncSuccess.topicArn,
      ASYNC_ERROR_TOPIC_ARN: this.topics.asyncError.topicArn,
      DEPLOYMENT_EVENTS_TOPIC_ARN: this.topics.deploymentEvents.topicArn,
      PIPELINE_ID: this.pipelineId,
      NAME_PREFIX: this.namePrefix,
      REFERENCE_ENDPOINTS: JSON.stringify(this.referenceEndpoints),
      KMS_KEY_ARN: props.kmsKey?.keyArn ?? '',
      DEPLOYMENT_DEFAULTS: Stack.of(this).toJsonString(this.defaults),
    };
    const logLevel = props.logLevel ?? 'INFO';
    return {
      ...variables,
      POWERTOOLS_SERVICE_NAME: 'aep',
      POWERTOOLS_LOG_LEVEL: logLevel,
    };
  }
}

function validNamePrefix(prefix: string): string {
  // Leave room for at least one character of the endpoint name after the prefix.
  if (!NAME_PREFIX.test(prefix) || prefix.length >= ENDPOINT_NAME_MAX) {
    throw new InvalidPipelineConfiguration(
      `namePrefix "${prefix}" is not usable: it must be empty or start with a letter or digit, contain only letters, digits and "-", and be shorter than ${ENDPOINT_NAME_MAX} characters (endpoint names it prefixes must fit SageMaker's limits).`,
    );
  }
  return prefix;
}

function validReferenceEndpoints(patterns: string[]): string[] {
  const bad = patterns.filter((p) => !REFERENCE_ENDPOINT_PATTERN.test(p));
  if (patterns.length === 0 || bad.length > 0) {
    throw new InvalidPipelineConfiguration(
      `referenceEndpoints ${JSON.stringify(patterns)} is not usable: give at least one endpoint name of up to 63 letters, digits, "-" or "*" (any characters), starting with a letter, digit or "*"${bad.length > 0 ? `; not a name: ${bad.map((b) => JSON.stringify(b)).join(', ')}` : ''}.`,
    );
  }
  return patterns;
}

function validPipelineId(id: string): string {
  if (!PIPELINE_ID.test(id)) {
    throw new InvalidPipelineConfiguration(
      `pipelineId "${id}" is not usable: it must be 1-64 letters, digits, "-" or "_", starting with a letter or digit (it names the state machine and tags SageMaker resources).`,
    );
  }
  return id;
}

function resolveDefaults(props: AsyncEndpointPipelineProps): DeploymentDefaults {
  const merged = {
    ...props.defaults,
    ...(props.retainPrevious !== undefined ? { retainPrevious: props.retainPrevious } : {}),
    ...(props.autoscaling !== undefined ? { autoscaling: props.autoscaling } : {}),
  };
  const parsed = deploymentDefaultsSchema.safeParse(merged);
  if (!parsed.success) {
    throw new InvalidPipelineConfiguration(`The pipeline's deployment defaults are invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
