import { resetClients } from '../../functions/lib/clients';
import type { DeploymentDefaults } from '../../functions/lib/deployment-input';
import type { PipelineEnvironmentVariables } from '../../functions/lib/environment';
import { defaultReferenceEndpoints } from '../../functions/lib/reference-endpoints';
import type { PipelineResources } from '../pipeline-resources';

/** The environment the CDK stack gives every step function, pointing at the embedded resources. */
export function pipelineFunctionEnvironment(
  resources: PipelineResources,
  defaults: DeploymentDefaults = {},
): Required<Omit<PipelineEnvironmentVariables, 'KMS_KEY_ARN'>> {
  return {
    MODELS_BUCKET: resources.modelsBucket,
    ARTIFACTS_BUCKET: resources.artifactsBucket,
    SAGEMAKER_ROLE_ARN: resources.sagemakerRoleArn,
    ASYNC_SUCCESS_TOPIC_ARN: resources.asyncSuccessTopicArn,
    ASYNC_ERROR_TOPIC_ARN: resources.asyncErrorTopicArn,
    DEPLOYMENT_EVENTS_TOPIC_ARN: resources.deploymentEventsTopicArn,
    PIPELINE_ID: resources.pipelineId,
    NAME_PREFIX: '',
    REFERENCE_ENDPOINTS: JSON.stringify(defaultReferenceEndpoints('')),
    DEPLOYMENT_DEFAULTS: JSON.stringify(defaults),
  };
}

/**
 * Handlers run in this process and read `process.env`, so the embedded AWS sets their environment once for the
 * process: the stack's variables, `AWS_ENDPOINT_URL` (which every SDK client honours) and the region. Credentials are
 * only filled in when absent: the embedded AWS does not check them, but the SDK refuses to sign without any.
 * Returns a function that puts back what was there before (for tests that start and stop the embedded AWS).
 */
export function installFunctionEnvironment(variables: Record<string, string>, endpointUrl: string, region: string): () => void {
  const wanted: Record<string, string> = {
    ...variables,
    AWS_ENDPOINT_URL: endpointUrl,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'aep-local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'aep-local',
  };
  const previous = Object.fromEntries(Object.keys(wanted).map((key) => [key, process.env[key]]));
  Object.assign(process.env, wanted);
  resetClients();
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    resetClients();
  };
}
