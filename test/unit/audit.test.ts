import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { auditKey, writeAuditRecord } from '../../functions/lib/audit';
import { publishDeploymentEvent, MAX_EVENT_CAUSE_CHARS } from '../../functions/lib/deployment-events';
import { EXECUTION, pipelineState, setTestEnvironment } from './fixtures';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const t = (seconds: number) => new Date(Date.parse('2025-01-01T00:00:00.000Z') + seconds * 1000);

beforeEach(() => {
  setTestEnvironment();
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

describe('writeAuditRecord', () => {
  it('writes one record per execution with input, config, artifact, resources, smoke results, timeline and verdict', async () => {
    const state = pipelineState({
      model: { name: 'recommender-abc', arn: 'arn:model', createdNow: true },
      deployment: { action: 'update', strategy: 'in-place', previousConfigName: 'recommender-old', startedAt: t(3).toISOString() },
      endpoint: { endpointName: 'recommender', phase: 'gate', status: 'InService', ready: true, polls: 2, nextPollSeconds: 0, checkedAt: t(40).toISOString() },
      smoke: { cases: [], anyFailed: false },
    });
    const uri = await writeAuditRecord({
      bucket: 'aep-artifacts',
      pipelineId: 'aep',
      verdict: 'passed',
      execution: EXECUTION,
      input: { modelDataUrl: 's3://aep-models/models/recommender/v2/model.tar.gz' },
      endpointName: 'recommender',
      state,
      finalize: { deleted: ['model recommender-older'] },
      now: t(100),
    });
    expect(uri).toBe('s3://aep-artifacts/audit/recommender/run-1.json');
    // One call: the record is built from what the run carries, with no Step Functions read.
    expect(s3Mock.calls()).toHaveLength(1);
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
      resources: { model: state.model, deployment: state.deployment, endpoint: state.endpoint },
      previousConfigName: 'recommender-old',
      smoke: { cases: [], anyFailed: false },
      finalize: { deleted: ['model recommender-older'] },
      timestamps: { startedAt: EXECUTION.startTime, recordedAt: t(100).toISOString() },
    });
    expect(record.timeline.milestones.map((m: { event: string; secondsFromStart: number }) => [m.event, m.secondsFromStart])).toEqual([
      ['execution started', 0],
      ['deployment started', 3],
      ['endpoint checked', 40],
      ['recorded', 100],
    ]);
    expect(record.timeline.milestones[2].detail).toBe('recommender InService (gate) after 2 check(s)');
    expect(record.timeline.elapsedSeconds).toBe(100);
  });

  it('records an input that is not an object as it was given, under audit/_invalid/ when no endpoint name is known', async () => {
    await writeAuditRecord({
      bucket: 'aep-artifacts',
      pipelineId: 'aep',
      verdict: 'failed',
      execution: EXECUTION,
      input: null,
      state: {},
      error: { Error: 'InvalidInput', Cause: 'bad' },
      now: t(2),
    });
    const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put.Key).toBe(auditKey(undefined, 'run-1'));
    expect(put.Key).toBe('audit/_invalid/run-1.json');
    const record = JSON.parse(String(put.Body));
    expect(record).toMatchObject({ input: null, error: { Error: 'InvalidInput', Cause: 'bad' }, timeline: { elapsedSeconds: 2 } });
    expect(record.timeline.milestones.map((m: { event: string }) => m.event)).toEqual(['execution started', 'recorded']);
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
