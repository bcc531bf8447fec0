import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { auditKey, writeAuditRecord } from '../../functions/lib/audit';
import { publishDeploymentEvent, MAX_EVENT_CAUSE_CHARS } from '../../functions/lib/deployment-events';
import { readExecutionTimings, stepTimings } from '../../functions/lib/execution-timings';
import { awsError, EXECUTION, pipelineState, setTestEnvironment } from './fixtures';

const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);
const snsMock = mockClient(SNSClient);
const t = (seconds: number) => new Date(Date.parse('2025-01-01T00:00:00.000Z') + seconds * 1000);
const entered = (name: string, at: number): HistoryEvent => ({ type: 'TaskStateEntered', id: 0, timestamp: t(at), stateEnteredEventDetails: { name } });
const exited = (name: string, at: number): HistoryEvent => ({ type: 'TaskStateExited', id: 0, timestamp: t(at), stateExitedEventDetails: { name } });

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  sfnMock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

describe('stepTimings', () => {
  it('totals each state over its entries, including loops and interleaved Map iterations', () => {
    const { steps, elapsedSeconds } = stepTimings([
      { type: 'ExecutionStarted', id: 1, timestamp: t(0) },
      entered('CreateModel', 1),
      exited('CreateModel', 3),
      entered('DescribeEndpoint', 4),
      exited('DescribeEndpoint', 5),
      entered('DescribeEndpoint', 35),
      exited('DescribeEndpoint', 36.5),
      // two concurrent iterations: 40→50 and 41→45 overlap; the total is 10 + 4 whichever exit pairs with which entry
      entered('CheckOutput', 40),
      entered('CheckOutput', 41),
      exited('CheckOutput', 45),
      exited('CheckOutput', 50),
      entered('Finalize', 60),
    ]);
    expect(steps).toEqual([
      { state: 'CreateModel', entries: 1, running: 0, totalSeconds: 2, firstEnteredAt: t(1).toISOString(), lastExitedAt: t(3).toISOString() },
      { state: 'DescribeEndpoint', entries: 2, running: 0, totalSeconds: 2.5, firstEnteredAt: t(4).toISOString(), lastExitedAt: t(36.5).toISOString() },
      { state: 'CheckOutput', entries: 2, running: 0, totalSeconds: 14, firstEnteredAt: t(40).toISOString(), lastExitedAt: t(50).toISOString() },
      { state: 'Finalize', entries: 1, running: 1, totalSeconds: 0, firstEnteredAt: t(60).toISOString() },
    ]);
    expect(elapsedSeconds).toBe(60);
  });

  it('reads the history page by page and says when it stopped early', async () => {
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [entered('A', 0)], nextToken: 'p2' })
      .resolvesOnce({ events: [exited('A', 4)], nextToken: 'p3' })
      .resolves({ events: [], nextToken: 'p4' });
    const timings = await readExecutionTimings(EXECUTION.id, 2);
    expect(timings).toMatchObject({ truncated: true, steps: [{ state: 'A', totalSeconds: 4 }] });
    expect(sfnMock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 2);
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)[1].args[0].input).toMatchObject({
      executionArn: EXECUTION.id,
      nextToken: 'p2',
      includeExecutionData: false,
    });
  });
});

describe('writeAuditRecord', () => {
  it('writes one record per execution with input, config, artifact, resources, smoke results, timings and verdict', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ input: '{"modelDataUrl":"s3://aep-models/models/recommender/v2/model.tar.gz"}' });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [entered('CreateModel', 1), exited('CreateModel', 2)] });
    const state = pipelineState({
      model: { name: 'recommender-abc', arn: 'arn:model', createdNow: true },
      deployment: { action: 'update', strategy: 'in-place', previousConfigName: 'recommender-old', startedAt: t(3).toISOString() },
      smoke: { cases: [], anyFailed: false },
    });
    const uri = await writeAuditRecord({
      bucket: 'aep-artifacts',
      pipelineId: 'aep',
      verdict: 'passed',
      execution: EXECUTION,
      endpointName: 'recommender',
      state,
      finalize: { deleted: ['model recommender-older'] },
      now: t(100),
    });
    expect(uri).toBe('s3://aep-artifacts/audit/recommender/run-1.json');
    const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).toMatchObject({ Bucket: 'aep-artifacts', Key: 'audit/recommender/run-1.json', ContentType: 'application/json' });
    const record = JSON.parse(String(put.Body));
    expect(record).toMatchObject({
      schemaVersion: 1,
      pipelineId: 'aep',
      verdict: 'passed',
      endpointName: 'recommender',
      execution: EXECUTION,
      input: { modelDataUrl: 's3://aep-models/models/recommender/v2/model.tar.gz' },
      config: state.config,
      artifact: state.artifact,
      resources: { model: state.model, deployment: state.deployment },
      previousConfigName: 'recommender-old',
      smoke: { cases: [], anyFailed: false },
      finalize: { deleted: ['model recommender-older'] },
      timings: { steps: [{ state: 'CreateModel', totalSeconds: 1 }], truncated: false },
      timestamps: { startedAt: EXECUTION.startTime, recordedAt: t(100).toISOString() },
    });
    expect(record.gaps).toBeUndefined();
  });

  it('still writes the record when the history cannot be read, noting the gap', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform states:DescribeExecution'));
    sfnMock.on(GetExecutionHistoryCommand).rejects(awsError('ExecutionDoesNotExist', 'Execution Does Not Exist'));
    await writeAuditRecord({ bucket: 'aep-artifacts', pipelineId: 'aep', verdict: 'failed', execution: EXECUTION, state: {}, error: { Error: 'InvalidInput', Cause: 'bad' } });
    const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put.Key).toBe(auditKey(undefined, 'run-1'));
    expect(put.Key).toBe('audit/_invalid/run-1.json');
    const record = JSON.parse(String(put.Body));
    expect(record.error).toEqual({ Error: 'InvalidInput', Cause: 'bad' });
    expect(record.gaps).toEqual([
      'execution input: AccessDeniedException: not authorized to perform states:DescribeExecution',
      'step timings: ExecutionDoesNotExist: Execution Does Not Exist',
    ]);
  });

  it('throws throttling for the step to be retried', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(
      writeAuditRecord({ bucket: 'aep-artifacts', pipelineId: 'aep', verdict: 'failed', execution: EXECUTION, state: {} }),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('publishDeploymentEvent', () => {
  it('publishes the JSON event with filterable message attributes and a cut cause', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const id = await publishDeploymentEvent('arn:aws:sns:us-east-1:123456789012:aep-deployment-events', {
      type: 'DeploymentFailed',
      endpointName: 'recommender',
      execution: { arn: EXECUTION.id, name: EXECUTION.name },
      verdict: 'failed',
      error: { Error: 'BaselineMismatch', Cause: 'x'.repeat(10000) },
      auditUri: 's3://aep-artifacts/audit/recommender/run-1.json',
    });
    expect(id).toBe('m-1');
    const input = snsMock.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.MessageAttributes).toEqual({
      type: { DataType: 'String', StringValue: 'DeploymentFailed' },
      endpointName: { DataType: 'String', StringValue: 'recommender' },
      verdict: { DataType: 'String', StringValue: 'failed' },
      error: { DataType: 'String', StringValue: 'BaselineMismatch' },
    });
    expect(input.Subject).toBe('aep DeploymentFailed: recommender');
    const message = JSON.parse(String(input.Message));
    expect(message).toMatchObject({ type: 'DeploymentFailed', auditUri: 's3://aep-artifacts/audit/recommender/run-1.json' });
    expect(message.error.Cause.length).toBe(MAX_EVENT_CAUSE_CHARS);
  });
});
