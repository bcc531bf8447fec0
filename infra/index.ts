/**
 * The construct library of the `aep` package (`import { AsyncEndpointPipeline } from 'aep'`): the pipeline construct,
 * its props and the types its public properties have.
 */
export {
  AsyncEndpointPipeline,
  InvalidPipelineConfiguration,
  type AsyncEndpointPipelineProps,
  type AutoscalingInput,
  type DeploymentDefaultsInput,
  type LogLevel,
} from './async-endpoint-pipeline';
export type { PipelineTopics } from './pipeline-topics';
export { MissingStepHandler, StepLambda, type StepLambdaProps } from './step-lambda';
export { PIPELINE_STEPS, type PipelineStep } from './step-functions';
export type { DeploymentDefaults } from '../functions/lib/deployment-input';
