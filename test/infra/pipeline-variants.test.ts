import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AsyncEndpointPipeline, InvalidPipelineConfiguration } from '../../infra/async-endpoint-pipeline';
import { acknowledgeJustifiedWildcards, UnjustifiedWildcard } from '../../infra/justified-wildcards';
import { InvalidStackConfiguration } from '../../infra/pipeline-config';
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
 * cdk-nag and the configurable parts of the construct. Bundling is skipped here (CDK's bundling-stacks context):
 * these tests read resources and policies only; pipeline-stack.test.ts bundles the real functions.
 */
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/existing-sagemaker-role';
const CUSTOMIZED = {
  namePrefix: 'ml-',
  pipelineId: 'recsys',
  kmsKeyArn: KEY_ARN,
  modelsBucketName: 'existing-models',
  sagemakerRoleArn: ROLE_ARN,
  autoscaling: { minCapacity: 0, maxCapacity: 3 },
  referenceEndpoints: ['recsys-realtime', 'Ref-*'],
  defaults: { image: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3-cpu' },
};

function nagViolations(synth: Synthesized): string[] {
  const report = new AwsSolutionsChecks(synth.app).validateScope(synth.stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

describe.each([
  ['cdk.json', () => cdkJsonConfig()],
  ['customized (KMS key, imported bucket and role, prefix, autoscaling)', () => CUSTOMIZED],
])('cdk-nag AwsSolutions on the %s configuration', (_name, config) => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(config(), { bundle: false });
  });
  afterAll(() => synth.dispose());

  it('has no unacknowledged finding', () => {
    expect(nagViolations(synth)).toEqual([]);
  });

  it('acknowledges findings with a reason, each on the construct it concerns (never stack-wide)', () => {
    const acknowledged = synth.stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
          // CDK records each acknowledgment as { [ruleId]: reason }.
          .flatMap((m) => Object.entries(m.data as Record<string, string>))
          .map(([id, reason]) => ({ path: c.node.path, id, reason })),
      );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const a of acknowledged) {
      expect(a.path).not.toBe(synth.stack.node.path);
      expect(a.reason.length).toBeGreaterThan(40);
    }
  });
});

describe('the customized configuration', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize(CUSTOMIZED, { bundle: false });
  });
  afterAll(() => s.dispose());
  const stepStatements = (folder: string) =>
    roleStatements(s.template, functionRoleLogicalId(s.template, functionLogicalId(s.template, folder)));

  it('creates only the artifacts and access-log buckets, encrypting the artifacts bucket with the key', () => {
    s.template.resourceCountIs('AWS::S3::Bucket', 2);
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: true },
        ],
      },
    });
  });

  it('encrypts the topics with the given key and creates no key of its own', () => {
    s.template.resourceCountIs('AWS::KMS::Key', 0);
    s.template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: KEY_ARN });
  });

  it('tells the functions the key, the prefix and the pipeline id', () => {
    s.template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: { KMS_KEY_ARN: KEY_ARN, NAME_PREFIX: 'ml-', PIPELINE_ID: 'recsys', SAGEMAKER_ROLE_ARN: ROLE_ARN, MODELS_BUCKET: 'existing-models' } },
    });
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'recsys' });
  });

  it('scopes SageMaker permissions to the name prefix (lower-cased, as in SageMaker ARNs)', () => {
    const [create] = statementsWithAction(stepStatements('deploy-endpoint'), 'sagemaker:CreateEndpoint');
    expect(JSON.stringify(create.Resource)).toContain(':endpoint/ml-*');
    expect(JSON.stringify(create.Resource)).toContain(':endpoint-config/ml-*');
    expect(create.Condition).toEqual({ StringEquals: { 'aws:RequestTag/aep:pipeline': 'recsys' } });
  });

  it('adds the hosting permissions to the imported SageMaker role, with the key for outputs and volumes', () => {
    const policies = Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('existing-sagemaker-role'),
    );
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: never[] }).Statement);
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:PutObject', 'sns:Publish', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:CreateGrant']),
    );
    expect(statementsWithAction(statements, 'kms:CreateGrant')).toEqual([
      expect.objectContaining({ Resource: KEY_ARN, Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
    ]);
  });

  it('lets the steps that read or write pipeline objects use the key, and no other step', () => {
    const usesKey = (folder: string) => actionsOf(stepStatements(folder)).some((a) => a === 'kms:Decrypt');
    expect(['validate-input', 'acquire-lock', 'smoke-invoke', 'check-output', 'compare-to-baseline', 'finalize', 'record-failure'].every(usesKey)).toBe(true);
    expect(['create-model', 'describe-endpoint'].some(usesKey)).toBe(false);
  });

  it('grants Finalize the autoscaling registration, only for pipeline-tagged endpoints', () => {
    const statements = stepStatements('finalize');
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining([
        'application-autoscaling:RegisterScalableTarget',
        'application-autoscaling:PutScalingPolicy',
        'iam:CreateServiceLinkedRole',
        'sagemaker:UpdateEndpointWeightsAndCapacities',
      ]),
    );
    expect(statementsWithAction(statements, 'sagemaker:UpdateEndpointWeightsAndCapacities')[0].Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/aep:pipeline': 'recsys' },
    });
    expect(statementsWithAction(statements, 'iam:CreateServiceLinkedRole')[0].Condition).toEqual({
      StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' },
    });
    expect(JSON.stringify(statementsWithAction(statements, 'cloudwatch:PutMetricAlarm')[0].Resource)).toMatch(/:alarm:.*\*-scale-out-from-zero/);
    const otherSteps = ['validate-input', 'deploy-endpoint', 'rollback', 'record-failure'];
    for (const folder of otherSteps) {
      // scaling set-up is Finalize's alone; the others at most suspend and resume scale-in of an endpoint at 0
      expect(actionsOf(stepStatements(folder)).filter((a) => a.startsWith('application-autoscaling:') && !/:(Describe|Register)ScalableTargets?$/.test(a))).toEqual([]);
    }
  });

  it('limits Application Auto Scaling to SageMaker variants\' instance counts (the condition keys both actions support)', () => {
    const [scaling] = statementsWithAction(stepStatements('finalize'), 'application-autoscaling:PutScalingPolicy');
    expect(scaling).toMatchObject({
      Resource: '*',
      Condition: {
        StringEquals: {
          'application-autoscaling:service-namespace': 'sagemaker',
          'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount',
        },
      },
    });
  });

  it('lets CompareToBaseline invoke only the configured reference endpoints (lower-cased, as in SageMaker ARNs), and tells the functions', () => {
    const [invoke] = statementsWithAction(stepStatements('compare-to-baseline'), 'sagemaker:InvokeEndpoint');
    const resources = (invoke.Resource as Array<{ 'Fn::Join': [string, unknown[]] }>).map((r) => r['Fn::Join'][1].at(-1));
    expect(resources).toEqual([':endpoint/recsys-realtime', ':endpoint/ref-*']);
    s.template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: { REFERENCE_ENDPOINTS: JSON.stringify(['recsys-realtime', 'Ref-*']) } },
    });
  });

  it('encrypts every log group (state machine and functions) with the key', () => {
    const logGroups = Object.values(resourcesOfType(s.template, 'AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThan(14);
    for (const group of logGroups) expect(group.Properties.KmsKeyId).toBe(KEY_ARN);
  });

  it('passes the autoscaling settings, with schema defaults, to the functions', () => {
    const fn = Object.values(resourcesOfType(s.template, 'AWS::Lambda::Function'))[0];
    const env = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    expect(JSON.parse(env.DEPLOYMENT_DEFAULTS).autoscaling).toEqual({
      minCapacity: 0,
      maxCapacity: 3,
      targetBacklogPerInstance: 5,
      scaleInCooldownSeconds: 300,
      scaleOutCooldownSeconds: 60,
    });
  });
});

describe('configuration errors', () => {
  const synthWith = (aep: Record<string, unknown>) => () => synthesize(aep, { bundle: false }).dispose();

  it('names the field of an invalid default', () => {
    expect(synthWith({ defaults: { instanceType: 'm5.large' } })).toThrow(
      /deployment defaults are invalid: instanceType: 'm5.large' is not a SageMaker hosting instance type \(did you mean ml\.[a-z0-9]+\.large\?\)/,
    );
  });

  it('rejects an unknown key in the aep context (a typo would otherwise be ignored)', () => {
    expect(synthWith({ namePrefx: 'ml-' })).toThrow(InvalidStackConfiguration);
  });

  it('rejects a name prefix SageMaker names could not start with', () => {
    expect(synthWith({ namePrefix: '-ml' })).toThrow(InvalidPipelineConfiguration);
  });

  it('rejects a pipeline id that cannot name a state machine', () => {
    expect(synthWith({ pipelineId: 'my pipeline' })).toThrow(/pipelineId "my pipeline" is not usable/);
  });

  it('rejects a reference endpoint that cannot be an endpoint name', () => {
    expect(synthWith({ referenceEndpoints: ['recsys_realtime'] })).toThrow(/referenceEndpoints \["recsys_realtime"\] is not usable/);
    expect(synthWith({ referenceEndpoints: [] })).toThrow(InvalidPipelineConfiguration);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    expect(synthWith({ logRetentionDays: 45 })).toThrow(/logRetentionDays 45 is not a CloudWatch Logs retention/);
  });
});

describe('a customer managed key defined in the same app', () => {
  it('encrypts the log groups and gets the key-policy statement CloudWatch Logs needs for this account\'s log groups', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'OwnKey');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new AsyncEndpointPipeline(stack, 'P', { kmsKey: key });
    const template = Template.fromStack(stack);
    const keyId = stack.getLogicalId(key.node.defaultChild as kms.CfnKey);
    template.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const policy = resourcesOfType(template, 'AWS::KMS::Key')[keyId].Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> };
    const logs = policy.Statement.find((st) => st.Sid === 'AllowCloudWatchLogsEncryption');
    expect(logs).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
    });
    expect(JSON.stringify((logs!.Condition as Record<string, Record<string, unknown>>).ArnLike['kms:EncryptionContext:aws:logs:arn'])).toContain(':log-group:*');
  });
});

describe('the cdk-nag check itself', () => {
  it('reports a non-compliant resource, so the zero-findings checks above can fail', () => {
    const app = new App();
    const stack = new Stack(app, 'NonCompliant');
    new s3.Bucket(stack, 'PlainBucket');
    const rules = new AwsSolutionsChecks(app).validateScope(stack).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});

describe('wildcard justifications', () => {
  it('refuse a wildcard resource with no recorded reason', () => {
    const stack = new Stack(new App(), 'S');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const statement = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] });
    expect(() => acknowledgeJustifiedWildcards(role, [statement])).toThrow(UnjustifiedWildcard);
  });

  it('leave a construct without a pipeline untouched by defaults (the construct works outside the stack)', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bare');
    const pipeline = new AsyncEndpointPipeline(stack, 'P');
    expect(pipeline.pipelineId).toMatch(/^Bare-P-/);
    expect(pipeline.defaults).toEqual({});
  });
});
