import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { s3, sagemakerRuntime } from '../lib/clients';
import { describeError, isS3NotFound, isTransientAwsError, SmokeInvocationFailed } from '../lib/errors';
import { artifactKeys } from '../lib/names';
import type { SmokeCaseState, SmokeInvocation } from '../lib/pipeline-state';
import { toS3Uri, type S3Location } from '../lib/s3-uri';
import { toLocation } from '../lib/s3-objects';
import { caseObjectName, invokedEndpoint } from '../lib/smoke-case-state';
import { inferenceId } from './inference-id';

/**
 * Starts one smoke case: the payload is copied server-side into this run's async input prefix (a 1 GB payload
 * never passes through the Lambda), then InvokeEndpointAsync queues it. A retry copies to the same key and sends
 * the same InferenceId, so it repeats the same request rather than inventing a new one.
 */
export async function invokeSmokeCase(
  state: SmokeCaseState,
  artifactsBucket: string,
  now: () => Date = () => new Date(),
): Promise<SmokeInvocation> {
  const smokeCase = state.case;
  const input: S3Location = {
    bucket: artifactsBucket,
    key: artifactKeys.asyncInput(state.endpointName, state.execution.name, caseObjectName(state)),
  };
  const endpointName = invokedEndpoint(state);
  await copyPayload(smokeCase.name, smokeCase.payloadUri, input);

  const id = inferenceId(state.execution.name, caseObjectName(state));
  const invokedAt = now().toISOString();
  let response;
  try {
    response = await sagemakerRuntime().send(
      new InvokeEndpointAsyncCommand({
        EndpointName: endpointName,
        InputLocation: toS3Uri(input),
        ContentType: smokeCase.contentType,
        Accept: smokeCase.accept,
        InferenceId: id,
        InvocationTimeoutSeconds: state.invocationTimeoutSeconds,
      }),
    );
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    throw new SmokeInvocationFailed(
      `case ${smokeCase.name}: InvokeEndpointAsync on endpoint ${endpointName} was rejected ` +
        `(${describeError(error)}); check that the endpoint is InService with an asynchronous inference config ` +
        `and that the case's contentType/accept are valid`,
    );
  }
  if (!response.OutputLocation) {
    throw new SmokeInvocationFailed(
      `case ${smokeCase.name}: InvokeEndpointAsync on endpoint ${endpointName} returned no OutputLocation; ` +
        `the endpoint config must set AsyncInferenceConfig.OutputConfig.S3OutputPath`,
    );
  }
  return {
    inferenceId: response.InferenceId ?? id,
    inputLocation: toS3Uri(input),
    outputLocation: response.OutputLocation,
    ...(response.FailureLocation ? { failureLocation: response.FailureLocation } : {}),
    invokedAt,
  };
}

async function copyPayload(caseName: string, payloadUri: string, target: S3Location): Promise<void> {
  const source = toLocation(payloadUri);
  try {
    await s3().send(
      new CopyObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        CopySource: copySource(source),
        MetadataDirective: 'COPY',
      }),
    );
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    const what = isS3NotFound(error) ? 'does not exist (or its bucket does not)' : `could not be copied (${describeError(error)})`;
    throw new SmokeInvocationFailed(
      `case ${caseName}: payload ${payloadUri} ${what}; ` +
        `fix payloadUri or grant the pipeline s3:GetObject on it, then deploy again (copy target ${toS3Uri(target)})`,
    );
  }
}

/** CopySource is "bucket/key" with the key URL-encoded segment by segment (slashes kept). */
export function copySource(location: S3Location): string {
  return `${location.bucket}/${location.key.split('/').map(encodeURIComponent).join('/')}`;
}
