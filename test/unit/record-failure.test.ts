import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/record-failure/handler';
import { baselineMismatchCause, finalError } from '../../functions/record-failure/final-error';
import { awsError, EXECUTION, OTHER_EXECUTION_ARN, pipelineState, s3Body, setTestEnvironment } from './fixtures';

const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);
const snsMock = mockClient(SNSClient);
const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: ['at x'] });
const lockHeldBy = (holder: string) => ({
  Body: s3Body(JSON.stringify({ holder, acquiredAt: EXECUTION.startTime, endpointName: 'recommender' })),
  ETag: '"lock"',
});

function written(prefix: string): { Key?: string; body: Record<string, any> } {
  const put = s3Mock.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key?.startsWith(prefix))!.args[0].input;
  return { Key: put.Key, body: JSON.parse(String(put.Body)) };
}

function published(): Record<string, any> {
  return JSON.parse(String(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message));
}

beforeEach(() => {
  setTestEnvironment();
  for (const mock of [s3Mock, sfnMock, snsMock]) mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(GetObjectCommand).resolves(lockHeldBy(EXECUTION.id));
  s3Mock.on(DeleteObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('RecordFailure', () => {
  it('returns the original error with the Lambda error JSON unwrapped, and records it', async () => {
    const state = pipelineState({ error: { Error: 'OutputTimeout', Cause: lambdaCause('OutputTimeout', 'case shoes-top5: no output after 1200 s') } });
    const input = { modelDataUrl: 's3://aep-models/models/recommender/v2/model.tar.gz' };
    const result = await handler({ state, execution: EXECUTION, input });
    expect(result).toEqual({ Error: 'OutputTimeout', Cause: 'case shoes-top5: no output after 1200 s' });

    const audit = written('audit/');
    expect(audit.Key).toBe('audit/recommender/run-1.json');
    expect(audit.body).toMatchObject({ verdict: 'failed', error: result, config: state.config, endpointName: 'recommender', input });
    // Built from what the run carries: no Step Functions read.
    expect(sfnMock.calls()).toHaveLength(0);
    expect(published()).toEqual({
      type: 'DeploymentFailed',
      endpointName: 'recommender',
      execution: { arn: EXECUTION.id, name: 'run-1' },
      model: state.names.model,
      config: state.names.endpointConfig,
      verdict: 'failed',
      error: result,
      auditUri: 's3://aep-artifacts/audit/recommender/run-1.json',
      release: { alarmsWatched: [], exposure: { productionServedBeforeVerdict: false, reason: 'nothing was deployed' } },
    });
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectCommand, { Key: 'locks/recommender.json', IfMatch: '"lock"' });
  });

  it('records the rollback actions and turns a failed rollback into RollbackFailed quoting both errors', async () => {
    const state = pipelineState({
      error: { Error: 'EndpointUpdateFailed', Cause: 'update of endpoint recommender rolled back' },
      rollback: { complete: false, actions: ['restoring endpoint recommender to config recommender-0000000005'], kept: [], nextPollSeconds: 30 },
      rollbackError: { Error: 'RollbackFailed', Cause: lambdaCause('RollbackFailed', 'Rollback could not restore endpoint recommender') },
    });
    const result = await handler({ state, execution: EXECUTION });
    expect(result).toEqual({
      Error: 'RollbackFailed',
      Cause: 'rollback after EndpointUpdateFailed: Rollback could not restore endpoint recommender ; original cause: update of endpoint recommender rolled back',
    });
    expect(written('audit/').body).toMatchObject({ rollback: state.rollback, rollbackError: state.rollbackError, error: result });
  });

  it('turns the GateFailed array of case causes into one readable sentence', async () => {
    const cases = ['a', 'b', 'c'].map((name) => ({ name, passed: name === 'b', mode: 'topk' as const, metrics: {}, inferenceId: name, outputUri: 's3://b/o', reportUri: 's3://b/r', latencySeconds: 1 }));
    const state = pipelineState({
      smoke: { cases, anyFailed: true },
      error: { Error: 'BaselineMismatch', Cause: JSON.stringify(['case a: overlap@5 = 0.40 < minOverlap 0.80 (report s3://r/a)', 'case c: the output is not valid JSON (report s3://r/c)']) },
    });
    const result = await handler({ state, execution: EXECUTION });
    expect(result).toEqual({
      Error: 'BaselineMismatch',
      Cause: '2 of 3 smoke cases failed their baseline: case a: overlap@5 = 0.40 < minOverlap 0.80 (report s3://r/a); case c: the output is not valid JSON (report s3://r/c)',
    });
  });

  it("works on InputRejected's {error, input} after a ValidateInput failure: audit under _invalid, no lock release, still an event", async () => {
    const input = { modelDataUrl: 'not-a-uri', endpointName: 'bad/../name' };
    const state = { input, error: { Error: 'InvalidInput', Cause: lambdaCause('InvalidInput', 'modelDataUrl: must be an S3 URI') } };
    const result = await handler({ state, execution: EXECUTION });
    expect(result).toEqual({ Error: 'InvalidInput', Cause: 'modelDataUrl: must be an S3 URI' });
    expect(written('audit/').Key).toBe('audit/_invalid/run-1.json');
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
    expect(published()).toMatchObject({ type: 'DeploymentFailed', endpointName: '_invalid', auditUri: 's3://aep-artifacts/audit/_invalid/run-1.json' });
  });

  it('files a ValidateInput failure under a valid endpoint name from the execution input', async () => {
    await handler({ state: { input: { endpointName: 'recommender' }, error: { Error: 'ArtifactNotFound', Cause: 'gone' } }, execution: EXECUTION });
    expect(written('audit/').Key).toBe('audit/recommender/run-1.json');
  });

  it.each([[[1, 2, 3]], ['text'], [null], [7]])('records a ValidateInput failure whose execution input is not an object (%j) under _invalid', async (input) => {
    const error = { Error: 'InvalidInput', Cause: lambdaCause('InvalidInput', 'the execution input must be a JSON object') };
    await expect(handler({ state: { input, error }, execution: EXECUTION })).resolves.toEqual({
      Error: 'InvalidInput',
      Cause: 'the execution input must be a JSON object',
    });
    expect(written('audit/').Key).toBe('audit/_invalid/run-1.json');
  });

  it('never throws for lack of fields: an empty state, no execution, a null input', async () => {
    await expect(handler({ state: {}, execution: EXECUTION })).resolves.toMatchObject({ Error: 'States.Runtime' });
    await expect(handler({})).resolves.toMatchObject({ Error: 'States.Runtime' });
    await expect(handler(null as never)).resolves.toMatchObject({ Error: 'States.Runtime' });
    await expect(handler({ state: { error: 'not an object', smoke: 7 }, execution: EXECUTION })).resolves.toMatchObject({ Error: 'States.Runtime' });
  });

  it('leaves a lock held by another execution alone (a re-run after the lock was taken over)', async () => {
    s3Mock.on(GetObjectCommand).resolves(lockHeldBy(OTHER_EXECUTION_ARN));
    await handler({ state: pipelineState({ error: { Error: 'OutputTimeout', Cause: 'x' } }), execution: EXECUTION });
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('still returns the error when a side effect is refused', async () => {
    s3Mock.on(PutObjectCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    snsMock.on(PublishCommand).rejects(awsError('AuthorizationError', 'not authorized to perform SNS:Publish', 403));
    const result = await handler({ state: pipelineState({ error: { Error: 'OutputTimeout', Cause: 'x' } }), execution: EXECUTION });
    expect(result).toEqual({ Error: 'OutputTimeout', Cause: 'x' });
  });

  it('throws throttling so the state machine retries the step', async () => {
    snsMock.on(PublishCommand).rejects(awsError('Throttled', 'Rate exceeded', 500));
    await expect(handler({ state: pipelineState({ error: { Error: 'OutputTimeout', Cause: 'x' } }), execution: EXECUTION })).rejects.toMatchObject({ name: 'TransientError' });
  });
});

describe('finalError', () => {
  it('names an unexpected rollback error inside RollbackFailed', () => {
    expect(finalError({ error: { Error: 'SmokeInvocationFailed', Cause: 'c' }, rollbackError: { Error: 'States.Timeout', Cause: '' } })).toEqual({
      Error: 'RollbackFailed',
      Cause: 'rollback after SmokeInvocationFailed: States.Timeout ; original cause: c',
    });
  });

  it('keeps a BaselineMismatch cause that is not the GateFailed array as it is', () => {
    expect(baselineMismatchCause('plain words', 3)).toBe('plain words');
    expect(baselineMismatchCause('["case a: x"]', 1)).toBe('1 of 1 smoke case failed its baseline: case a: x');
  });
});
