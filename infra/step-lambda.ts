import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acknowledgeJustifiedWildcards } from './justified-wildcards';
import { handlerEntry, PROJECT_ROOT, STEP_BUNDLING, stepBundleDir, type PipelineStep } from './step-functions';

export interface StepLambdaProps {
  readonly step: PipelineStep;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Customer managed key for the log group (its policy must let CloudWatch Logs use it: log-encryption.ts). */
  readonly logEncryptionKey?: kms.IKey;
  /** The step's own permissions (see step-permissions.ts). */
  readonly statements: iam.PolicyStatement[];
}

/** A handler file that is missing when the stack is synthesized: a step not written yet, or a renamed folder. */
export class MissingStepHandler extends Error {
  override readonly name = 'MissingStepHandler';
}

/**
 * One step of the workflow as a Lambda: pre-bundled by the package build, or bundled by the local esbuild (no Docker), the AWS SDK bundled in, arm64,
 * X-Ray tracing, its own log group and its own role holding only its own statements (no managed policies).
 */
export class StepLambda extends Construct {
  /** A NodejsFunction from the sources, a plain Function from the package's pre-bundled code. */
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StepLambdaProps) {
    super(scope, id);
    const entry = handlerEntry(props.step);
    const bundle = stepBundleDir(props.step);
    if (!fs.existsSync(entry) && !fs.existsSync(path.join(bundle, 'index.js'))) {
      throw new MissingStepHandler(
        `Step ${props.step.name} has no handler: neither ${entry} nor the pre-bundled ${bundle}/index.js exists. Each step needs functions/${props.step.folder}/handler.ts exporting \`handler\` (a package build bundles it: npm run build).`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logEncryptionKey,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `aep step ${props.step.name}`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    for (const statement of props.statements) this.role.addToPrincipalPolicy(statement);
    acknowledgeJustifiedWildcards(this.role, props.statements);

    const common = {
      description: `aep ${props.step.folder}: ${props.step.description}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(props.step.timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      // Stack traces in the logs point at the TypeScript sources through the bundled source map.
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    };
    // The installed package ships each step pre-bundled (npm run build), as CDK construct libraries ship their
    // handlers (aws-cdk-lib's own custom resources do): an app using the construct needs neither esbuild nor
    // Docker nor aep's sources, synthesizes without bundling, and deploys exactly the code that was released.
    // From the repository's sources the stack bundles the current handlers with the same options.
    this.function = fs.existsSync(path.join(bundle, 'index.js'))
      ? new lambda.Function(this, 'Function', { ...common, code: lambda.Code.fromAsset(bundle), handler: 'index.handler' })
      : new NodejsFunction(this, 'Function', {
          ...common,
          entry,
          handler: 'handler',
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: `${PROJECT_ROOT}/package-lock.json`,
          bundling: {
            forceDockerBundling: false,
            ...STEP_BUNDLING,
            mainFields: [...STEP_BUNDLING.mainFields],
            format: OutputFormat.CJS,
            // Bundle the AWS SDK v3 clients: the function runs the versions it was tested with, not the runtime's.
            externalModules: [],
          },
        });
  }
}
