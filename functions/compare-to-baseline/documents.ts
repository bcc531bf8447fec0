import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { s3, sagemakerRuntime } from '../lib/clients';
import { describeError, isS3NotFound, isTransientAwsError } from '../lib/errors';
import type { SmokeTest } from '../lib/deployment-input';
import { headObject, readBoundedTextObject, toLocation } from '../lib/s3-objects';

/**
 * Fetching the two documents a case compares. What can go wrong here because of the data (missing object, a
 * reference endpoint that rejects the payload) is a failed case with a reason, so the other cases still report;
 * throttling and 5xx are thrown for the state machine to retry.
 */
export type Loaded = { ok: true; text: string; lastModified?: string } | { ok: false; reason: string };

/** A comparison holds both documents in memory; beyond this the Lambda would run out of it. */
export const MAX_COMPARED_BYTES = 64 * 1024 * 1024;
/** SageMaker's payload limit for real-time InvokeEndpoint. */
export const MAX_REALTIME_PAYLOAD_BYTES = 25 * 1024 * 1024;

export async function loadOutput(outputUri: string): Promise<Loaded> {
  return loadObject(outputUri, 'the output');
}

export async function loadBaseline(smokeCase: SmokeTest): Promise<Loaded & { source: string }> {
  const baseline = smokeCase.baseline;
  if ('uri' in baseline) return { ...(await loadObject(baseline.uri, 'the baseline')), source: baseline.uri };
  const source = `endpoint ${baseline.endpointName}`;
  return { ...(await invokeReference(baseline.endpointName, smokeCase)), source };
}

async function loadObject(uri: string, what: string): Promise<Loaded> {
  const object = await readBoundedTextObject(uri, MAX_COMPARED_BYTES);
  if (!object) return { ok: false, reason: `${what} ${uri} does not exist` };
  if ('tooLarge' in object) {
    return { ok: false, reason: `${what} ${uri} is ${mib(object.head.sizeBytes)}, more than the ${mib(MAX_COMPARED_BYTES)} a comparison reads` };
  }
  return { ok: true, text: object.text, lastModified: object.head.lastModified };
}

/**
 * The baseline from a reference endpoint: the same payload, sent to its real-time InvokeEndpoint. The payload is
 * read from S3 into memory (bounded by the real-time payload limit) rather than streamed: a streamed body would
 * be signed as UNSIGNED-PAYLOAD, which SageMaker Runtime does not document as accepted.
 */
async function invokeReference(endpointName: string, smokeCase: SmokeTest): Promise<Loaded> {
  const head = await headObject(smokeCase.payloadUri);
  if (!head) return { ok: false, reason: `the payload ${smokeCase.payloadUri} does not exist` };
  if (head.sizeBytes > MAX_REALTIME_PAYLOAD_BYTES) {
    return {
      ok: false,
      reason:
        `the payload ${smokeCase.payloadUri} is ${mib(head.sizeBytes)}, more than the ` +
        `${mib(MAX_REALTIME_PAYLOAD_BYTES)} real-time endpoint ${endpointName} accepts; use a baseline object (baseline.uri) instead`,
    };
  }
  let body: Uint8Array;
  try {
    const location = toLocation(smokeCase.payloadUri);
    const object = await s3().send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    body = object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
  } catch (error) {
    if (isTransientAwsError(error) || !isS3NotFound(error)) throw error;
    return { ok: false, reason: `the payload ${smokeCase.payloadUri} does not exist` };
  }
  try {
    const response = await sagemakerRuntime().send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        Body: body,
        ContentType: smokeCase.contentType,
        Accept: smokeCase.accept,
      }),
    );
    return { ok: true, text: response.Body ? Buffer.from(response.Body).toString('utf-8') : '' };
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    return { ok: false, reason: `the reference endpoint ${endpointName} did not answer the payload (${describeError(error)})` };
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
