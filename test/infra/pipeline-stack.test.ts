import validator from 'asl-validator';
import { Match } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ASL_FILE, PIPELINE_STEPS, substitutionKey } from '../../infra/step-functions';
import {
  actionsOf,
  cdkJsonConfig,
  functionLogicalId,
  functionRoleLogicalId,
  resourcesOfType,
  roleStatements,
  statementsWithAction,
  synthesize,
  type Synthesized,
} from './synth';

/**
 * The stack exactly as `cdk synth` builds it from cdk.json, with all fourteen functions bundled by esbuild.
 * Synthesized once: bundling is the slow part.
 */
let s: Synthesized;
beforeAll(() => {
  s = synthesize(cdkJsonConfig(), { bundle: true });
}, 240_000);
afterAll(() => s?.dispose());

const COMMON_FUNCTION_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

/** What each step's own policy allows, beyond its logs and X-Ray: the least-privilege contract, per step. */
const STEP_ACTIONS: Record<string, string[]> = {
  'validate-input': ['s3:GetObject', 's3:ListBucket', 'sagemaker:DescribeEndpoint', 'sagemaker:ListTags'],
  'acquire-lock': ['s3:GetObject', 's3:ListBucket', 's3:PutObject', 'states:DescribeExecution'],
  'create-model': ['iam:PassRole', 'sagemaker:AddTags', 'sagemaker:CreateModel', 'sagemaker:DescribeModel', 'sagemaker:ListTags'],
  'create-endpoint-config': [
    'sagemaker:AddTags',
    'sagemaker:CreateEndpointConfig',
    'sagemaker:DescribeEndpointConfig',
    'sagemaker:ListTags',
  ],
  'deploy-endpoint': [
    'application-autoscaling:DescribeScalableTargets',
    'application-autoscaling:RegisterScalableTarget',
    'sagemaker:AddTags',
    'sagemaker:CreateEndpoint',
    'sagemaker:DescribeEndpoint',
    'sagemaker:DescribeEndpointConfig',
    'sagemaker:ListTags',
    'sagemaker:UpdateEndpoint',
    'sagemaker:UpdateEndpointWeightsAndCapacities',
  ],
  'describe-endpoint': ['sagemaker:DescribeEndpoint'],
  'await-event': [
    's3:DeleteObject',
    's3:GetObject',
    's3:ListBucket',
    's3:PutObject',
    'sagemaker:DescribeEndpoint',
    'states:SendTaskFailure',
    'states:SendTaskSuccess',
  ],
  'promote-endpoint': [
    'cloudwatch:PutMetricAlarm',
    'sagemaker:AddTags',
    'sagemaker:DeleteEndpoint',
    'sagemaker:DescribeEndpoint',
    'sagemaker:ListTags',
    'sagemaker:UpdateEndpoint',
  ],
  'smoke-invoke': ['s3:GetObject', 's3:ListBucket', 's3:PutObject', 'sagemaker:InvokeEndpointAsync'],
  'check-output': ['s3:GetObject', 's3:ListBucket'],
  'compare-to-baseline': ['s3:GetObject', 's3:ListBucket', 's3:PutObject', 'sagemaker:InvokeEndpoint'],
  finalize: [
    'application-autoscaling:PutScalingPolicy',
    'application-autoscaling:RegisterScalableTarget',
    'cloudwatch:PutMetricAlarm',
    'iam:CreateServiceLinkedRole',
    'kms:Decrypt',
    'kms:GenerateDataKey',
    's3:DeleteObject',
    's3:GetObject',
    's3:ListBucket',
    's3:PutObject',
    'sagemaker:DeleteEndpointConfig',
    'sagemaker:DeleteModel',
    'sagemaker:DescribeEndpoint',
    'sagemaker:DescribeEndpointConfig',
    'sagemaker:ListEndpointConfigs',
    'sagemaker:ListModels',
    'sns:Publish',
    'sagemaker:UpdateEndpointWeightsAndCapacities',
  ].sort(),
  rollback: [
    'application-autoscaling:RegisterScalableTarget',
    'sagemaker:DeleteEndpoint',
    'sagemaker:DeleteEndpointConfig',
    'sagemaker:DeleteModel',
    'sagemaker:DescribeEndpoint',
    'sagemaker:DescribeEndpointConfig',
    'sagemaker:DescribeModel',
    'sagemaker:ListTags',
    'sagemaker:UpdateEndpoint',
    'sagemaker:UpdateEndpointWeightsAndCapacities',
  ],
  'record-failure': [
    'kms:Decrypt',
    'kms:GenerateDataKey',
    's3:DeleteObject',
    's3:GetObject',
    's3:ListBucket',
    's3:PutObject',
    'sns:Publish',
  ],
};

const stepStatements = (folder: string) =>
  roleStatements(s.template, functionRoleLogicalId(s.template, functionLogicalId(s.template, folder)));

/** Logical id of the one resource of `type` whose logical id starts with `prefix` (CDK appends a hash). */
function logicalId(type: string, prefix: string): string {
  const ids = Object.keys(resourcesOfType(s.template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}
const ref = (type: string, prefix: string) => ({ Ref: logicalId(type, prefix) });
const arnOf = (type: string, prefix: string) => ({ 'Fn::GetAtt': [logicalId(type, prefix), 'Arn'] });

describe('buckets', () => {
  it('creates the models, artifacts and access-log buckets, all private and encrypted', () => {
    s.template.resourceCountIs('AWS::S3::Bucket', 3);
    s.template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it('versions the models bucket, sends its events to EventBridge and logs access to the log bucket', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LoggingConfiguration: { DestinationBucketName: ref('AWS::S3::Bucket', 'PipelineAccessLogsBucket'), LogFilePrefix: 'models/' },
    });
  });

  it('expires async inputs and outputs (failures included) and reports after 30 days and keeps audit records and locks', () => {
    const artifacts = resourcesOfType(s.template, 'AWS::S3::Bucket')[logicalId('AWS::S3::Bucket', 'PipelineArtifactsBucket')];
    const rules = (artifacts.Properties.LifecycleConfiguration as { Rules: Array<{ Prefix?: string; ExpirationInDays?: number }> }).Rules;
    const expiring = Object.fromEntries(rules.filter((r) => r.Prefix).map((r) => [r.Prefix, r.ExpirationInDays]));
    // async-failures/: failure objects written before they moved into async-outputs/ still expire.
    expect(expiring).toEqual({ 'async-inputs/': 30, 'async-outputs/': 30, 'async-failures/': 30, 'reports/': 30, 'waits/': 30 });
    expect(rules.some((r) => r.ExpirationInDays !== undefined && r.Prefix === undefined)).toBe(false);
  });

  it('denies every request over plain HTTP, and TLS below 1.2, on each bucket', () => {
    const policies = Object.values(resourcesOfType(s.template, 'AWS::S3::BucketPolicy'));
    const bucketsWithTlsPolicy = policies
      .filter((p) =>
        (p.Properties.PolicyDocument as { Statement: Array<{ Effect: string; Condition?: object }> }).Statement.some(
          (st) => st.Effect === 'Deny' && JSON.stringify(st.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
        ),
      )
      .map((p) => (p.Properties.Bucket as { Ref: string }).Ref)
      .sort();
    expect(bucketsWithTlsPolicy).toEqual(Object.keys(resourcesOfType(s.template, 'AWS::S3::Bucket')).sort());
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });
});

describe('topics', () => {
  it('creates three topics encrypted with a rotating customer managed key', () => {
    s.template.resourceCountIs('AWS::SNS::Topic', 3);
    s.template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf('AWS::KMS::Key', 'PipelineTopicsKey') });
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('denies publishing or subscribing over plain HTTP on each topic', () => {
    const policies = Object.values(resourcesOfType(s.template, 'AWS::SNS::TopicPolicy'));
    const covered = policies
      .filter((p) =>
        (p.Properties.PolicyDocument as { Statement: Array<{ Effect: string; Condition?: object }> }).Statement.some(
          (st) => st.Effect === 'Deny' && JSON.stringify(st.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
        ),
      )
      .flatMap((p) => (p.Properties.Topics as Array<{ Ref: string }>).map((t) => t.Ref))
      .sort();
    expect(covered).toEqual(Object.keys(resourcesOfType(s.template, 'AWS::SNS::Topic')).sort());
  });
});

describe('SageMaker execution role', () => {
  const statements = () => roleStatements(s.template, logicalId('AWS::IAM::Role', 'PipelineSageMakerRole'));
  const bySid = (sid: string) => statements().find((st) => st.Sid === sid);

  it('is assumed by SageMaker only', () => {
    s.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }],
      },
      Description: Match.stringLikeRegexp('SageMaker execution role'),
    });
  });

  it('reads models, reads async inputs, writes async outputs/failures, publishes to the two async topics', () => {
    const models = arnOf('AWS::S3::Bucket', 'PipelineModelsBucket');
    const artifacts = arnOf('AWS::S3::Bucket', 'PipelineArtifactsBucket');
    expect(bySid('ReadModelArtifacts')).toMatchObject({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [models, '/*']] } });
    expect(bySid('ReadAsyncInputs')).toMatchObject({
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [artifacts, '/async-inputs/*']] },
    });
    expect(bySid('WriteAsyncOutputs')).toMatchObject({
      Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
      Resource: { 'Fn::Join': ['', [artifacts, '/async-outputs/*']] },
    });
    expect(bySid('PublishAsyncNotifications')).toMatchObject({
      Action: 'sns:Publish',
      Resource: [ref('AWS::SNS::Topic', 'PipelineAsyncSuccessTopic'), ref('AWS::SNS::Topic', 'PipelineAsyncErrorTopic')],
    });
  });

  it('pulls images, writes endpoint logs and SageMaker metrics only', () => {
    expect(bySid('PullInferenceImages')?.Action).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:GetDownloadUrlForLayer',
      'ecr:BatchGetImage',
    ]);
    expect(JSON.stringify(bySid('EndpointLogs')?.Resource)).toContain(':log-group:/aws/sagemaker/Endpoints/*');
    expect(bySid('EndpointMetrics')?.Condition).toEqual({
      StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'AWS/SageMaker'] },
    });
    expect(actionsOf(statements()).filter((a) => a.startsWith('sagemaker:') || a.startsWith('iam:'))).toEqual([]);
  });
});

describe('step functions', () => {
  const functions = () => resourcesOfType(s.template, 'AWS::Lambda::Function');

  it('deploys the fourteen steps on nodejs22.x arm64, 256 MB, traced, each with its own log group', () => {
    expect(Object.keys(functions())).toHaveLength(PIPELINE_STEPS.length);
    s.template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('Logs') } },
    });
    const logGroups = new Set(Object.values(functions()).map((f) => JSON.stringify(f.Properties.LoggingConfig)));
    expect(logGroups.size).toBe(PIPELINE_STEPS.length);
    s.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it.each(PIPELINE_STEPS.map((step) => [step.folder, step.timeoutSeconds]))('%s has timeout %ds', (folder, timeout) => {
    expect(functions()[functionLogicalId(s.template, folder)].Properties.Timeout).toBe(timeout);
  });

  it('gives every function the pipeline environment of functions/lib/environment.ts and the Powertools settings', () => {
    const variables = {
      MODELS_BUCKET: ref('AWS::S3::Bucket', 'PipelineModelsBucket'),
      ARTIFACTS_BUCKET: ref('AWS::S3::Bucket', 'PipelineArtifactsBucket'),
      SAGEMAKER_ROLE_ARN: arnOf('AWS::IAM::Role', 'PipelineSageMakerRole'),
      ASYNC_SUCCESS_TOPIC_ARN: ref('AWS::SNS::Topic', 'PipelineAsyncSuccessTopic'),
      ASYNC_ERROR_TOPIC_ARN: ref('AWS::SNS::Topic', 'PipelineAsyncErrorTopic'),
      DEPLOYMENT_EVENTS_TOPIC_ARN: ref('AWS::SNS::Topic', 'PipelineDeploymentEventsTopic'),
      PIPELINE_ID: s.stack.pipeline.pipelineId,
      NAME_PREFIX: '',
      REFERENCE_ENDPOINTS: '["*"]',
      KMS_KEY_ARN: '',
      DEPLOYMENT_DEFAULTS: Match.anyValue(),
      POWERTOOLS_SERVICE_NAME: 'aep',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    };
    s.template.allResourcesProperties('AWS::Lambda::Function', { Environment: { Variables: variables } });
    for (const fn of Object.values(functions())) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(env).sort()).toEqual(Object.keys(variables).sort());
    }
  });

  it('passes the cdk.json defaults, validated and with schema defaults applied, as DEPLOYMENT_DEFAULTS', () => {
    const env = (Object.values(functions())[0].Properties.Environment as { Variables: Record<string, string> }).Variables;
    const defaults = JSON.parse(env.DEPLOYMENT_DEFAULTS);
    const configured = cdkJsonConfig() as { defaults: Record<string, unknown>; retainPrevious: number };
    expect(defaults).toEqual({ ...configured.defaults, retainPrevious: configured.retainPrevious });
  });

  it.each(Object.entries(STEP_ACTIONS))('%s may call exactly its own actions', (folder, actions) => {
    expect(actionsOf(stepStatements(folder))).toEqual([...actions, ...COMMON_FUNCTION_ACTIONS].sort());
  });

  it('attaches no managed policy to any step role', () => {
    for (const id of Object.keys(functions())) {
      const role = resourcesOfType(s.template, 'AWS::IAM::Role')[functionRoleLogicalId(s.template, id)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets a step write only to its own log group', () => {
    for (const step of PIPELINE_STEPS) {
      const fnId = functionLogicalId(s.template, step.folder);
      const logGroup = (functions()[fnId].Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(statementsWithAction(stepStatements(step.folder), 'logs:PutLogEvents')).toEqual([
        expect.objectContaining({ Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] } }),
      ]);
    }
  });

  it('creates SageMaker resources only with the pipeline tag, and AddTags only as part of that create', () => {
    const pipelineId = s.stack.pipeline.pipelineId;
    for (const [folder, action] of [
      ['create-model', 'sagemaker:CreateModel'],
      ['create-endpoint-config', 'sagemaker:CreateEndpointConfig'],
      ['deploy-endpoint', 'sagemaker:CreateEndpoint'],
    ]) {
      const statements = stepStatements(folder);
      expect(statementsWithAction(statements, action)).toEqual([
        expect.objectContaining({ Condition: { StringEquals: { 'aws:RequestTag/aep:pipeline': pipelineId } } }),
      ]);
      expect(statementsWithAction(statements, 'sagemaker:AddTags')).toContainEqual(
        expect.objectContaining({
          Condition: {
            StringEquals: { 'aws:RequestTag/aep:pipeline': pipelineId, 'sagemaker:TaggingAction': action.split(':')[1] },
          },
        }),
      );
    }
  });

  it('adopting an endpoint ("adopt": true) may only add the pipeline\'s own tags, with the pipeline\'s value', () => {
    const pipelineId = s.stack.pipeline.pipelineId;
    const adopt = statementsWithAction(stepStatements('deploy-endpoint'), 'sagemaker:AddTags').filter(
      (st) => !(st.Condition as { StringEquals?: Record<string, string> } | undefined)?.StringEquals?.['sagemaker:TaggingAction'] &&
        (st.Condition as { StringEquals?: Record<string, string> } | undefined)?.StringEquals?.['aws:RequestTag/aep:pipeline'],
    );
    expect(adopt).toEqual([
      expect.objectContaining({
        Condition: {
          StringEquals: { 'aws:RequestTag/aep:pipeline': pipelineId },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['aep:pipeline', 'aep:endpoint'] },
        },
      }),
    ]);
  });

  it('the alarms PromoteEndpoint creates are scoped to the pipeline\'s <endpoint>-aep-* names', () => {
    const [statement] = statementsWithAction(stepStatements('promote-endpoint'), 'cloudwatch:PutMetricAlarm');
    expect(JSON.stringify(statement.Resource)).toMatch(/:alarm:[^"]*\*-aep-\*/);
  });

  it('updates or deletes SageMaker resources only when they carry the pipeline tag', () => {
    const mutating = /^sagemaker:(Update|Delete)/;
    for (const step of PIPELINE_STEPS) {
      for (const st of stepStatements(step.folder)) {
        const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
        if (!actions.some((a) => mutating.test(a))) continue;
        expect(st.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/aep:pipeline': s.stack.pipeline.pipelineId } });
      }
    }
  });

  it('scopes every SageMaker resource ARN to model/, endpoint-config/ or endpoint/ (List* excepted)', () => {
    for (const step of PIPELINE_STEPS) {
      for (const st of stepStatements(step.folder)) {
        const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
        if (!actions.some((a) => a.startsWith('sagemaker:'))) continue;
        if (actions.every((a) => a.startsWith('sagemaker:List') && a !== 'sagemaker:ListTags')) {
          expect(st.Resource).toBe('*');
          continue;
        }
        const resources = (Array.isArray(st.Resource) ? st.Resource : [st.Resource]).map((r) => JSON.stringify(r));
        for (const r of resources) expect(r).toMatch(/:(model|endpoint-config|endpoint)\/\*"/);
      }
    }
  });

  it('passes only the SageMaker role, and only to SageMaker', () => {
    const passRole = PIPELINE_STEPS.flatMap((step) => statementsWithAction(stepStatements(step.folder), 'iam:PassRole'));
    expect(passRole).toEqual([
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: arnOf('AWS::IAM::Role', 'PipelineSageMakerRole'),
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
    ]);
  });

  it('publishes deployment events only to the deployment-events topic', () => {
    for (const folder of ['finalize', 'record-failure']) {
      expect(statementsWithAction(stepStatements(folder), 'sns:Publish')).toEqual([
        expect.objectContaining({ Resource: ref('AWS::SNS::Topic', 'PipelineDeploymentEventsTopic') }),
      ]);
    }
  });

  it('lets AcquireLock describe executions of its own state machine only', () => {
    const [describe] = statementsWithAction(stepStatements('acquire-lock'), 'states:DescribeExecution');
    expect(JSON.stringify(describe.Resource)).toContain(`:execution:${s.stack.pipeline.pipelineId}:*`);
  });

  it('lets Finalize register autoscaling without stack autoscaling (deploy.json or the input may ask), for SageMaker variants only', () => {
    expect(cdkJsonConfig().autoscaling).toBeUndefined();
    expect(statementsWithAction(stepStatements('finalize'), 'application-autoscaling:RegisterScalableTarget')).toEqual([
      expect.objectContaining({
        Action: ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:PutScalingPolicy'],
        Condition: {
          StringEquals: {
            'application-autoscaling:service-namespace': 'sagemaker',
            'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount',
          },
        },
      }),
    ]);
    // the others at most suspend and resume scale-in of an endpoint at 0 released in place, likewise scoped
    for (const step of PIPELINE_STEPS.filter((st) => st.folder !== 'finalize')) {
      const scaling = ['deploy-endpoint', 'rollback'].includes(step.folder) ? ['application-autoscaling:RegisterScalableTarget'] : [];
      if (step.folder === 'deploy-endpoint') scaling.unshift('application-autoscaling:DescribeScalableTargets');
      expect(actionsOf(stepStatements(step.folder)).filter((a) => a.startsWith('application-autoscaling:'))).toEqual(scaling);
      for (const statement of statementsWithAction(stepStatements(step.folder), 'application-autoscaling:RegisterScalableTarget')) {
        expect(statement.Condition).toEqual({
          StringEquals: { 'application-autoscaling:service-namespace': 'sagemaker', 'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount' },
        });
      }
    }
    // RegisterScalableTarget acts only where the caller may change the capacity itself: pipeline-tagged endpoints
    for (const folder of ['deploy-endpoint', 'finalize', 'rollback']) {
      expect(statementsWithAction(stepStatements(folder), 'sagemaker:UpdateEndpointWeightsAndCapacities').map((st) => st.Condition)).toEqual([
        { StringEquals: { 'aws:ResourceTag/aep:pipeline': s.stack.pipeline.pipelineId } },
      ]);
    }
  });

  it("lets CompareToBaseline invoke in real time only the reference endpoints (default: the name prefix's)", () => {
    expect(statementsWithAction(stepStatements('compare-to-baseline'), 'sagemaker:InvokeEndpoint')).toEqual([
      expect.objectContaining({ Resource: { 'Fn::Join': ['', expect.arrayContaining([':endpoint/*'])] } }),
    ]);
  });
});

describe('state machine', () => {
  const machine = () => Object.values(resourcesOfType(s.template, 'AWS::StepFunctions::StateMachine'))[0];

  it('is a Standard workflow named after the pipeline, logging ALL with execution data, traced', () => {
    s.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: s.stack.pipeline.pipelineId,
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf('AWS::Logs::LogGroup', 'PipelineStateMachineLogs') } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('deploys the ASL file byte for byte, every ${…} substituted by the ARN of the function bundled from that step', () => {
    const props = machine().Properties as {
      DefinitionS3Location: { Key: string };
      DefinitionSubstitutions: Record<string, { 'Fn::GetAtt': [string, string] }>;
    };
    const definition = fs.readFileSync(path.join(s.outdir, `asset.${props.DefinitionS3Location.Key}`), 'utf8');
    expect(definition).toBe(fs.readFileSync(ASL_FILE, 'utf8'));

    const substituted = definition.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, key: string) => {
      const value = props.DefinitionSubstitutions[key];
      if (!value) throw new Error(`no substitution for \${${key}}`);
      return `arn-of:${value['Fn::GetAtt'][0]}`;
    });
    expect(substituted).not.toContain('${');
    // What Step Functions receives after substitution is still valid ASL with real Lambda ARNs in every Task.
    const deployed = definition.replace(
      /\$\{([A-Za-z0-9]+)\}/g,
      (_, key: string) => `arn:aws:lambda:eu-west-1:111122223333:function:${props.DefinitionSubstitutions[key]['Fn::GetAtt'][0]}`,
    );
    expect(validator(JSON.parse(deployed), { checkPaths: true, checkArn: true }).errors).toEqual([]);

    for (const step of PIPELINE_STEPS) {
      const fnId = props.DefinitionSubstitutions[substitutionKey(step)]['Fn::GetAtt'][0];
      // The function's code asset was bundled from this step's handler (its source map names the file).
      const code = resourcesOfType(s.template, 'AWS::Lambda::Function')[fnId].Properties.Code as { S3Key: string };
      const assetDir = path.join(s.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
      const sources: string[] = JSON.parse(fs.readFileSync(path.join(assetDir, 'index.js.map'), 'utf8')).sources;
      expect(sources.some((src) => src.endsWith(`functions/${step.folder}/handler.ts`))).toBe(true);
      expect(sources.some((src) => /node_modules\/@aws-sdk\/client-/.test(src))).toBe(true);
      // The embedded AWS's IAM evaluator (AGPL, README "Licensing") never reaches a function bundle.
      expect(sources.filter((src) => src.includes('@cloud-copilot/') || /(^|\/)local\//.test(src))).toEqual([]);
    }
  });

  it('may invoke exactly the fourteen step functions, unqualified', () => {
    const role = (machine().Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const [invoke] = statementsWithAction(roleStatements(s.template, role), 'lambda:InvokeFunction');
    const fnIds = PIPELINE_STEPS.map((step) => functionLogicalId(s.template, step.folder));
    expect(invoke.Resource).toEqual(fnIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
  });
});

describe('trigger', () => {
  it('starts an execution for an Object Created event of the models bucket under models/ ending in model.tar.gz', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [ref('AWS::S3::Bucket', 'PipelineModelsBucket')] },
          object: { key: [{ wildcard: 'models/*model.tar.gz' }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: ref('AWS::StepFunctions::StateMachine', 'PipelineStateMachine'),
          InputTransformer: {
            InputPathsMap: { 'detail-bucket-name': '$.detail.bucket.name', 'detail-object-key': '$.detail.object.key' },
            InputTemplate: '{"modelDataUrl":"s3://<detail-bucket-name>/<detail-object-key>"}',
          },
          DeadLetterConfig: { Arn: arnOf('AWS::SQS::Queue', 'PipelineTriggerDeadLetterQueue') },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });

  it('keeps undeliverable events in an encrypted, TLS-only dead-letter queue', () => {
    s.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('event-driven waits', () => {
  const awaitEvent = () => ({ 'Fn::GetAtt': [functionLogicalId(s.template, 'await-event'), 'Arn'] });

  it('sends settled endpoint state changes to AwaitEvent, with retries and the dead-letter queue', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Endpoint State Change'],
        detail: { EndpointStatus: ['IN_SERVICE', 'FAILED', 'OUT_OF_SERVICE', 'DELETING', 'UPDATE_ROLLBACK_FAILED'] },
      },
      Targets: [
        Match.objectLike({
          Arn: awaitEvent(),
          DeadLetterConfig: { Arn: arnOf('AWS::SQS::Queue', 'PipelineTriggerDeadLetterQueue') },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
  });

  it('subscribes AwaitEvent to the async success and error topics', () => {
    for (const topic of ['PipelineAsyncSuccessTopic', 'PipelineAsyncErrorTopic']) {
      s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', Endpoint: awaitEvent(), TopicArn: ref('AWS::SNS::Topic', topic) });
    }
  });

  it('lets AwaitEvent resume Tasks of its own state machine only, and keep tokens only under waits/', () => {
    const statements = stepStatements('await-event');
    expect(statementsWithAction(statements, 'states:SendTaskSuccess')).toEqual([
      expect.objectContaining({ Resource: { 'Fn::Join': ['', expect.arrayContaining([expect.stringMatching(/:stateMachine:/)])] } }),
    ]);
    const deletes = statementsWithAction(statements, 's3:DeleteObject');
    expect(JSON.stringify(deletes)).toContain('/waits/*');
    expect(JSON.stringify(deletes)).not.toContain('async-outputs');
  });
});

describe('outputs', () => {
  it('exports the state machine, buckets, topics and SageMaker role', () => {
    const outputs = s.template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ArtifactsBucketName',
        'AsyncErrorTopicArn',
        'AsyncSuccessTopicArn',
        'DeploymentEventsTopicArn',
        'ModelsBucketName',
        'SageMakerRoleArn',
        'StateMachineArn',
      ].sort(),
    );
    expect(outputs.StateMachineArn.Value).toEqual(ref('AWS::StepFunctions::StateMachine', 'PipelineStateMachine'));
    expect(outputs.ModelsBucketName.Value).toEqual(ref('AWS::S3::Bucket', 'PipelineModelsBucket'));
    expect(outputs.SageMakerRoleArn.Value).toEqual(arnOf('AWS::IAM::Role', 'PipelineSageMakerRole'));
  });
});
