/**
 * The SNS messages SageMaker Asynchronous Inference publishes per invocation (eventName `InferenceResult`),
 * with the inference response included when the config's IncludeInferenceResponseIn asks for it (≤ 128 KB).
 */
export const MAX_INCLUDED_RESPONSE_BYTES = 128 * 1024;

export interface InvocationRequest {
  endpointName: string;
  inferenceId: string;
  inputLocation: string;
  contentType?: string;
  accept?: string;
  receivedTime: Date;
}

export interface InferenceResultEvent {
  awsRegion: string;
  eventTime: string;
  receivedTime: string;
  invocationStatus: 'Completed' | 'Failed';
  failureReason?: string;
  requestParameters: { accept?: string; contentType?: string; endpointName: string; inputLocation: string };
  responseParameters?: {
    contentType?: string;
    outputLocation?: string;
    failureLocation?: string;
    responseBody?: { content: string; encoding: 'UTF8' | 'BASE64' };
  };
  inferenceId: string;
  eventVersion: '1.0';
  eventSource: 'aws:sagemaker';
  eventName: 'InferenceResult';
}

export function inferenceResultEvent(
  region: string,
  request: InvocationRequest,
  outcome: { status: 'Completed' | 'Failed'; failureReason?: string; contentType?: string; outputLocation?: string; failureLocation?: string; body?: Buffer; includeBody: boolean },
): InferenceResultEvent {
  const responseBody =
    outcome.includeBody && outcome.body && outcome.body.length <= MAX_INCLUDED_RESPONSE_BYTES ? encodeBody(outcome.body) : undefined;
  const responseParameters = {
    contentType: outcome.contentType,
    outputLocation: outcome.outputLocation,
    failureLocation: outcome.failureLocation,
    responseBody,
  };
  return {
    awsRegion: region,
    eventTime: new Date().toISOString(),
    receivedTime: request.receivedTime.toISOString(),
    invocationStatus: outcome.status,
    failureReason: outcome.failureReason,
    requestParameters: { accept: request.accept, contentType: request.contentType, endpointName: request.endpointName, inputLocation: request.inputLocation },
    responseParameters: Object.values(responseParameters).some((v) => v !== undefined) ? responseParameters : undefined,
    inferenceId: request.inferenceId,
    eventVersion: '1.0',
    eventSource: 'aws:sagemaker',
    eventName: 'InferenceResult',
  };
}

function encodeBody(body: Buffer): { content: string; encoding: 'UTF8' | 'BASE64' } {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body) ? { content: text, encoding: 'UTF8' } : { content: body.toString('base64'), encoding: 'BASE64' };
}
