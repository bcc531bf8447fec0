import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/smoke-invoke/handler';
import { copySource } from '../../functions/smoke-invoke/invoke';
import { inferenceId, INFERENCE_ID_MAX } from '../../functions/smoke-invoke/inference-id';
import { awsError, setTestEnvironment, smokeCaseState } from './fixtures';

const s3Mock = mockClient(S3Client);
const runtimeMock = mockClient(SageMakerRuntimeClient);
const asyncResponse = {
  InferenceId: inferenceId('run-1', 'shoes-top5'),
  OutputLocation: 's3://aep-artifacts/async-outputs/recommender/abc.out',
  FailureLocation: 's3://aep-artifacts/async-outputs/recommender/abc-error.out',
};

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  runtimeMock.reset();
  s3Mock.on(CopyObjectCommand).resolves({});
  runtimeMock.on(InvokeEndpointAsyncCommand).resolves(asyncResponse);
});

describe('SmokeInvoke', () => {
  it('copies the payload server-side into the async input prefix and invokes the endpoint asynchronously', async () => {
    const result = await handler(smokeCaseState());
    expect(s3Mock).toHaveReceivedCommandWith(CopyObjectCommand, {
      Bucket: 'aep-artifacts',
      Key: 'async-inputs/recommender/run-1/shoes-top5',
      CopySource: 'aep-models/payloads/shoes.json',
    });
    expect(runtimeMock).toHaveReceivedCommandWith(InvokeEndpointAsyncCommand, {
      EndpointName: 'recommender',
      InputLocation: 's3://aep-artifacts/async-inputs/recommender/run-1/shoes-top5',
      ContentType: 'application/json',
      InferenceId: inferenceId('run-1', 'shoes-top5'),
    });
    expect(result).toEqual({
      inferenceId: asyncResponse.InferenceId,
      inputLocation: 's3://aep-artifacts/async-inputs/recommender/run-1/shoes-top5',
      outputLocation: asyncResponse.OutputLocation,
      failureLocation: asyncResponse.FailureLocation,
      invokedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('passes Accept and InvocationTimeoutSeconds when the case and the state carry them', async () => {
    const state = smokeCaseState();
    await handler({ ...state, case: { ...state.case, accept: 'application/json' }, invocationTimeoutSeconds: 120 });
    expect(runtimeMock).toHaveReceivedCommandWith(InvokeEndpointAsyncCommand, {
      Accept: 'application/json',
      InvocationTimeoutSeconds: 120,
    });
  });

  it('repeats the same copy target and InferenceId when retried', async () => {
    await handler(smokeCaseState());
    await handler(smokeCaseState());
    const copies = s3Mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.Key);
    const ids = runtimeMock.commandCalls(InvokeEndpointAsyncCommand).map((c) => c.args[0].input.InferenceId);
    expect(copies).toEqual([copies[0], copies[0]]);
    expect(ids).toEqual([ids[0], ids[0]]);
  });

  it('fails with SmokeInvocationFailed naming the payload when it does not exist', async () => {
    s3Mock.on(CopyObjectCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
    await expect(handler(smokeCaseState())).rejects.toMatchObject({
      name: 'SmokeInvocationFailed',
      message: expect.stringContaining('case shoes-top5: payload s3://aep-models/payloads/shoes.json does not exist'),
    });
    expect(runtimeMock).not.toHaveReceivedCommand(InvokeEndpointAsyncCommand);
  });

  it('fails with SmokeInvocationFailed when the payload cannot be read', async () => {
    s3Mock.on(CopyObjectCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    await expect(handler(smokeCaseState())).rejects.toMatchObject({
      name: 'SmokeInvocationFailed',
      message: expect.stringContaining('could not be copied (AccessDenied: Access Denied)'),
    });
  });

  it('fails with SmokeInvocationFailed carrying SageMaker\'s message when the endpoint rejects the request', async () => {
    runtimeMock
      .on(InvokeEndpointAsyncCommand)
      .rejects(awsError('ValidationException', 'Endpoint recommender of account 123456789012 not found.'));
    await expect(handler(smokeCaseState())).rejects.toMatchObject({
      name: 'SmokeInvocationFailed',
      message: expect.stringContaining('Endpoint recommender of account 123456789012 not found.'),
    });
  });

  it('fails with SmokeInvocationFailed when the endpoint is not asynchronous (no OutputLocation)', async () => {
    runtimeMock.on(InvokeEndpointAsyncCommand).resolves({ InferenceId: 'x' });
    await expect(handler(smokeCaseState())).rejects.toMatchObject({
      name: 'SmokeInvocationFailed',
      message: expect.stringContaining('S3OutputPath'),
    });
  });

  it('turns throttling into TransientError for the state machine to retry', async () => {
    runtimeMock.on(InvokeEndpointAsyncCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(handler(smokeCaseState())).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('rejects a malformed iteration state', async () => {
    await expect(handler({ case: { name: 'x' } })).rejects.toThrow(/smoke case state is malformed/);
  });
});

describe('inferenceId', () => {
  it('is deterministic, readable and unique per execution and case', () => {
    expect(inferenceId('run-1', 'shoes-top5')).toBe(inferenceId('run-1', 'shoes-top5'));
    expect(inferenceId('run-1', 'shoes-top5')).toMatch(/^run-1-shoes-top5-[0-9a-f]{10}$/);
    expect(inferenceId('run-1', 'a_b')).not.toBe(inferenceId('run-1', 'a-b'));
    expect(inferenceId('run-2', 'shoes-top5')).not.toBe(inferenceId('run-1', 'shoes-top5'));
  });

  it('stays within 64 characters of [a-zA-Z0-9-] for long and odd names', () => {
    const id = inferenceId('x'.repeat(80) + '_execution.name', 'case_' + 'y'.repeat(60));
    expect(id.length).toBeLessThanOrEqual(INFERENCE_ID_MAX);
    expect(id).toMatch(/^[a-zA-Z0-9-]+$/);
    expect(inferenceId('___', '__')).toMatch(/^[0-9a-f]{10}$/);
  });
});

describe('copySource', () => {
  it('URL-encodes the key segment by segment', () => {
    expect(copySource({ bucket: 'b', key: 'payloads/a b+c/ü.json' })).toBe('b/payloads/a%20b%2Bc/%C3%BC.json');
  });
});
