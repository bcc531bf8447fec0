import type { IncomingMessage } from 'node:http';
import * as z from 'zod';
import { parseInput } from '../protocols/input-validation';

/** The runtime's request members, read from where restJson1 puts them (headers) and checked as its API model constrains them. */
const endpointName = z.string().max(63).regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/);
const ascii = z.string().max(1024).regex(/^[\x00-\x7F]*$/);
/** `\A\S[\p{Print}]*\z`: a printable ASCII string not starting with white space. */
const printable = (max: number) => z.string().min(1).max(max).regex(/^\S[\x20-\x7E]*$/);
/** Integer headers: anything that is not an integer fails deserialization, as a mistyped JSON member does. */
const integer = (min: number, max: number) => z.preprocess((v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max));

const common = {
  EndpointName: endpointName,
  CustomAttributes: ascii.optional(),
  InferenceId: printable(64).optional(),
};

const invokeEndpointInput = z.looseObject({
  ...common,
  ContentType: ascii.optional(),
  Accept: ascii.optional(),
  TargetModel: printable(1024).optional(),
  TargetVariant: endpointName.optional(),
  TargetContainerHostname: endpointName.optional(),
  EnableExplanations: z.string().min(1).max(64).optional(),
  InferenceComponentName: z.string().max(63).regex(/^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/).optional(),
  SessionId: z.string().max(256).regex(/^(NEW_SESSION)$|^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/).optional(),
});

const invokeEndpointAsyncInput = z.looseObject({
  ...common,
  ContentType: ascii.optional(),
  Accept: ascii.optional(),
  InputLocation: z.string().min(1).max(1024).regex(/^(https|s3):\/\/([^/]+)\/?(.*)$/),
  S3OutputPathExtension: z.string().min(1).max(512).regex(/^(?!s3:|https:)[a-zA-Z0-9!_.*'()/-]+$/).optional(),
  Filename: z.string().min(1).max(32).regex(/^(?!.*\..*\.)[a-zA-Z0-9][a-zA-Z0-9-_.]*$/).optional(),
  RequestTTLSeconds: integer(60, 21_600).optional(),
  InvocationTimeoutSeconds: integer(1, 3600).optional(),
});

export type InvokeEndpointInput = z.infer<typeof invokeEndpointInput>;
export type InvokeEndpointAsyncInput = z.infer<typeof invokeEndpointAsyncInput>;

const INVOKE_HEADERS = {
  ContentType: 'content-type',
  Accept: 'accept',
  CustomAttributes: 'x-amzn-sagemaker-custom-attributes',
  TargetModel: 'x-amzn-sagemaker-target-model',
  TargetVariant: 'x-amzn-sagemaker-target-variant',
  TargetContainerHostname: 'x-amzn-sagemaker-target-container-hostname',
  InferenceId: 'x-amzn-sagemaker-inference-id',
  EnableExplanations: 'x-amzn-sagemaker-enable-explanations',
  InferenceComponentName: 'x-amzn-sagemaker-inference-component',
  SessionId: 'x-amzn-sagemaker-session-id',
};

const ASYNC_HEADERS = {
  ContentType: 'x-amzn-sagemaker-content-type',
  Accept: 'x-amzn-sagemaker-accept',
  CustomAttributes: 'x-amzn-sagemaker-custom-attributes',
  InferenceId: 'x-amzn-sagemaker-inference-id',
  InputLocation: 'x-amzn-sagemaker-inputlocation',
  S3OutputPathExtension: 'x-amzn-sagemaker-s3outputpathextension',
  Filename: 'x-amzn-sagemaker-filename',
  RequestTTLSeconds: 'x-amzn-sagemaker-requestttlseconds',
  InvocationTimeoutSeconds: 'x-amzn-sagemaker-invocationtimeoutseconds',
};

/** The runtime's modeled client error is `ValidationError` (not the control plane's `ValidationException`). */
export const invokeEndpointRequest = (req: IncomingMessage, endpoint: string): InvokeEndpointInput =>
  parseInput(invokeEndpointInput, members(req, endpoint, INVOKE_HEADERS), 'ValidationError');

export const invokeEndpointAsyncRequest = (req: IncomingMessage, endpoint: string): InvokeEndpointAsyncInput =>
  parseInput(invokeEndpointAsyncInput, members(req, endpoint, ASYNC_HEADERS), 'ValidationError');

function members(req: IncomingMessage, endpoint: string, headers: Record<string, string>): Record<string, string> {
  const input: Record<string, string> = { EndpointName: endpoint };
  for (const [member, name] of Object.entries(headers)) {
    const value = req.headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (text !== undefined && text !== '') input[member] = text;
  }
  return input;
}

/**
 * What SageMaker forwards to the model container besides the body, Content-Type and Accept: the caller's custom
 * attributes, the target model of a multi-model endpoint and the inference id.
 */
export function containerHeaders(input: { CustomAttributes?: string; TargetModel?: string; InferenceId?: string }): Record<string, string> {
  const headers: Record<string, string> = {};
  if (input.CustomAttributes !== undefined) headers['x-amzn-sagemaker-custom-attributes'] = input.CustomAttributes;
  if (input.TargetModel !== undefined) headers['x-amzn-sagemaker-target-model'] = input.TargetModel;
  if (input.InferenceId !== undefined) headers['x-amzn-sagemaker-inference-id'] = input.InferenceId;
  return headers;
}
