import { App, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { AsyncEndpointPipeline, type AsyncEndpointPipelineProps } from 'aep';

/** The team's own stack: the pipeline next to whatever else the app deploys. */
class RecommenderStack extends Stack {
  readonly pipeline: AsyncEndpointPipeline;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const pipeline: AsyncEndpointPipelineProps = {
      pipelineId: 'recs-pipeline',
      namePrefix: 'recs-',
      defaults: {
        instanceType: 'ml.c5.xlarge',
        instanceCount: 2,
        onFailure: 'rollback',
      },
      retainPrevious: 3,
      transientRetention: Duration.days(7),
      logRetention: logs.RetentionDays.ONE_MONTH,
      logLevel: 'DEBUG',
    };
    this.pipeline = new AsyncEndpointPipeline(this, 'Pipeline', pipeline);
  }
}

const app = new App();
new RecommenderStack(app, 'RecommenderPipeline');
// cdk-nag's AWS Solutions rules: a finding the construct has not acknowledged fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
