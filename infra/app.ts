import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AsyncEndpointPipelineStack } from './async-endpoint-pipeline-stack';
import { parsePipelineConfig } from './pipeline-config';

/**
 * `cdk synth` / `cdk deploy` entry (cdk.json runs it with tsx). The stack is environment-agnostic unless the CLI
 * knows an account and region, so `npm run synth` works offline with no credentials; nothing in it needs a lookup.
 */
export function buildApp(app: App = new App()): { app: App; stack: AsyncEndpointPipelineStack } {
  const stack = new AsyncEndpointPipelineStack(app, String(app.node.tryGetContext('aep:stackName') ?? 'AepPipeline'), {
    description: 'aep: deploys models to SageMaker asynchronous inference endpoints through a Step Functions workflow',
    config: parsePipelineConfig(app.node.tryGetContext('aep')),
    env:
      process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
        ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
        : undefined,
  });
  // cdk-nag 3: a policy-validation plugin; an unacknowledged finding fails the synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

if (require.main === module) buildApp().app.synth();
