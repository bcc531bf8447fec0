import {
  CloudWatchClient,
  CloudWatchServiceException,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCloudWatchService, type AlarmStateChange, type CloudWatchService } from '../../local/cloudwatch/service';
import { eventually } from '../helpers/scenario';
import { awsChildEnv, localClientConfig, startLocalAws, type LocalAws } from '../helpers/local-aws';

const run = promisify(execFile);
/** Alarm periods of 60 s last 1.2 s here. */
const WAIT_SCALE = 0.02;

let aws: LocalAws;
let service: CloudWatchService;
let cw: CloudWatchClient;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'aep-cw-cli-'));
  aws = await startLocalAws((dataDir) => [(service = createCloudWatchService({ dataDir, region: 'us-east-1', waitScale: WAIT_SCALE }))]);
  cw = new CloudWatchClient(localClientConfig(aws.url));
});
afterAll(async () => {
  cw.destroy();
  await aws.close();
  rmSync(work, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof CloudWatchServiceException)) throw error;
    return { code: (error as { Code?: string }).Code ?? error.name, status: error.$metadata.httpStatusCode ?? 0, message: error.message };
  }
  throw new Error('expected the call to fail');
}

const dims = [{ Name: 'Service', Value: 'checkout' }];

test('PutMetricData, then GetMetricStatistics, GetMetricData and ListMetrics aggregate it (SDK, awsJson1_0)', async () => {
  const now = Date.now();
  const minute = new Date(Math.floor(now / 60_000) * 60_000 - 120_000);
  await cw.send(
    new PutMetricDataCommand({
      Namespace: 'Shop',
      MetricData: [
        { MetricName: 'Latency', Dimensions: dims, Value: 10, Unit: 'Milliseconds', Timestamp: new Date(minute.getTime() + 1000) },
        { MetricName: 'Latency', Dimensions: dims, Value: 30, Unit: 'Milliseconds', Timestamp: new Date(minute.getTime() + 2000) },
        { MetricName: 'Latency', Dimensions: dims, Values: [50, 70], Counts: [1, 1], Unit: 'Milliseconds', Timestamp: new Date(minute.getTime() + 61_000) },
      ],
    }),
  );
  const stats = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace: 'Shop',
      MetricName: 'Latency',
      Dimensions: dims,
      StartTime: new Date(minute.getTime() - 60_000),
      EndTime: new Date(now + 60_000),
      Period: 60,
      Statistics: ['Average', 'Maximum', 'SampleCount'],
      ExtendedStatistics: ['p50'],
    }),
  );
  const byTime = (stats.Datapoints ?? []).sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
  expect(byTime.map((d) => [d.Timestamp?.getTime(), d.Average, d.Maximum, d.SampleCount, d.Unit])).toEqual([
    [minute.getTime(), 20, 30, 2, 'Milliseconds'],
    [minute.getTime() + 60_000, 60, 70, 2, 'Milliseconds'],
  ]);
  expect(byTime[0].ExtendedStatistics).toEqual({ p50: 10 });

  const data = await cw.send(
    new GetMetricDataCommand({
      StartTime: new Date(minute.getTime() - 60_000),
      EndTime: new Date(now + 60_000),
      MetricDataQueries: [{ Id: 'sum', MetricStat: { Metric: { Namespace: 'Shop', MetricName: 'Latency', Dimensions: dims }, Period: 300, Stat: 'Sum' } }],
    }),
  );
  expect(data.MetricDataResults?.[0]).toMatchObject({ Id: 'sum', Label: 'Latency', StatusCode: 'Complete' });
  expect(data.MetricDataResults?.[0].Values?.reduce((a, b) => a + b, 0)).toBe(160);

  const listed = await cw.send(new ListMetricsCommand({ Namespace: 'Shop', Dimensions: [{ Name: 'Service' }] }));
  expect(listed.Metrics).toEqual([{ Namespace: 'Shop', MetricName: 'Latency', Dimensions: dims }]);
});

test("bad input is refused with CloudWatch's codes and wording, and nothing of the request is stored", async () => {
  expect(await failure(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/SageMaker', MetricData: [{ MetricName: 'X', Value: 1 }] })))).toEqual({
    code: 'InvalidParameterValue',
    status: 400,
    message: 'The value AWS/SageMaker for parameter Namespace is invalid.',
  });
  const both = await failure(
    cw.send(new PutMetricDataCommand({ Namespace: 'Half', MetricData: [{ MetricName: 'Good', Value: 1 }, { MetricName: 'Bad', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] })),
  );
  expect(both).toMatchObject({ code: 'InvalidParameterCombination', message: 'The parameters MetricData.member.2.Value and MetricData.member.2.StatisticValues are mutually exclusive and you have specified both.' });
  expect((await cw.send(new ListMetricsCommand({ Namespace: 'Half' }))).Metrics).toEqual([]);
  const tooMany = Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'v' }));
  expect(await failure(cw.send(new PutMetricDataCommand({ Namespace: 'Half', MetricData: [{ MetricName: 'X', Value: 1, Dimensions: tooMany }] })))).toMatchObject({
    code: 'ValidationError',
    message: expect.stringMatching(/^1 validation error detected: Value .* at 'metricData.1.member.dimensions' failed to satisfy constraint: Member must have length less than or equal to 30$/),
  });
  const alarm = { AlarmName: 'bad', Namespace: 'Shop', MetricName: 'Latency', Statistic: 'Average' as const, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' as const, EvaluationPeriods: 1 };
  expect(await failure(cw.send(new PutMetricAlarmCommand({ ...alarm, Period: 45 })))).toMatchObject({ code: 'ValidationError', message: 'Period must be 10, 20, 30 or a multiple of 60' });
  expect(await failure(cw.send(new PutMetricAlarmCommand({ ...alarm, Period: 3600, EvaluationPeriods: 25 })))).toMatchObject({
    code: 'ValidationError',
    message: 'Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)',
  });
  expect(await failure(cw.send(new PutMetricAlarmCommand({ ...alarm, Period: 60, DatapointsToAlarm: 2 })))).toMatchObject({ code: 'ValidationError' });
  expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['bad'] }))).MetricAlarms).toEqual([]);
  expect(await failure(cw.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'ALARM', StateReason: 'test' })))).toEqual({
    code: 'ResourceNotFound',
    status: 404,
    message: 'Alarm nope not found',
  });
  await cw.send(new PutMetricAlarmCommand({ ...alarm, AlarmName: 'kept', Period: 60 }));
  expect(await failure(cw.send(new DeleteAlarmsCommand({ AlarmNames: ['kept', 'missing'] })))).toMatchObject({ code: 'ResourceNotFound', status: 404 });
  expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['kept'] }))).MetricAlarms).toHaveLength(1);
  await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['kept'] }));
});

test('an alarm is evaluated over its (scaled) periods: ALARM with a reason, back to OK, history and subscribers see it', async () => {
  const changes: AlarmStateChange[] = [];
  const unsubscribe = service.onAlarmStateChange((c) => changes.push(c));
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: 'queue-deep',
      Namespace: 'Jobs',
      MetricName: 'Backlog',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    }),
  );
  // Missing data is not breaching here, so the alarm settles at OK first.
  await eventually(async () => expect(service.alarm('queue-deep')?.StateValue).toBe('OK'));
  const feed = setInterval(() => void cw.send(new PutMetricDataCommand({ Namespace: 'Jobs', MetricData: [{ MetricName: 'Backlog', Value: 9 }] })).catch(() => undefined), 100);
  try {
    await eventually(async () => expect(service.alarm('queue-deep')?.StateValue).toBe('ALARM'));
  } finally {
    clearInterval(feed);
  }
  const described = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'queue-', StateValue: 'ALARM' }))).MetricAlarms ?? [];
  expect(described.map((a) => a.AlarmName)).toEqual(['queue-deep']);
  expect(described[0].StateReason).toMatch(/^Threshold Crossed: 2 out of the last 2 datapoints \[9\.0 \(.*\), 9\.0 \(.*\)\] were greater than or equal to the threshold \(5\.0\)/);
  await eventually(async () => expect(service.alarm('queue-deep')?.StateValue).toBe('OK'));
  unsubscribe();
  // A machine too busy to feed every period may flap in between; the first and last changes are certain.
  const seen = changes.map((c) => `${c.oldState}>${c.newState}`);
  expect(seen.slice(0, 2)).toEqual(['INSUFFICIENT_DATA>OK', 'OK>ALARM']);
  expect(seen[seen.length - 1]).toBe('ALARM>OK');

  const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'queue-deep', HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending' }));
  expect(history.AlarmHistoryItems?.map((h) => h.HistorySummary)).toHaveLength(seen.length);
  expect(history.AlarmHistoryItems?.[1].HistorySummary).toBe('Alarm updated from OK to ALARM');
  const forMetric = await cw.send(new DescribeAlarmsForMetricCommand({ Namespace: 'Jobs', MetricName: 'Backlog' }));
  expect(forMetric.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['queue-deep']);
  // SetAlarmState holds only until the next evaluation, as in CloudWatch; the history keeps it.
  await cw.send(new SetAlarmStateCommand({ AlarmName: 'queue-deep', StateValue: 'ALARM', StateReason: 'testing the pager' }));
  const latest = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'queue-deep', HistoryItemType: 'StateUpdate', StartDate: new Date(Date.now() - 60_000) }));
  expect(latest.AlarmHistoryItems?.some((h) => h.HistoryData?.includes('testing the pager'))).toBe(true);
}, 180_000);

test('the AWS CLI and boto3 (RPC v2 CBOR) drive the same CloudWatch: put-metric-alarm, describe-alarms, get_metric_data, errors', async () => {
  const env = awsChildEnv(work);
  const cli = (...args: string[]) => run('aws', ['--endpoint-url', aws.url, 'cloudwatch', ...args, '--output', 'json'], { env });
  await cli('put-metric-alarm', '--alarm-name', 'cli-alarm', '--namespace', 'Cli', '--metric-name', 'Errors', '--statistic', 'Sum', '--period', '60',
    '--evaluation-periods', '1', '--threshold', '3', '--comparison-operator', 'GreaterThanThreshold', '--dimensions', 'Name=Api,Value=orders');
  await cli('put-metric-data', '--namespace', 'Cli', '--metric-name', 'Errors', '--value', '4', '--dimensions', 'Api=orders');
  const described = JSON.parse((await cli('describe-alarms', '--alarm-names', 'cli-alarm')).stdout);
  // The alarm may already have evaluated the datapoint just put (periods are wait-scaled): either state is right here.
  expect(described.MetricAlarms[0]).toMatchObject({ AlarmName: 'cli-alarm', Namespace: 'Cli', Dimensions: [{ Name: 'Api', Value: 'orders' }], Threshold: 3, StateValue: expect.stringMatching(/^(INSUFFICIENT_DATA|ALARM)$/) });
  // CLI v1 prints timestamps as they came over the wire: CBOR epoch seconds.
  expect(Math.abs(described.MetricAlarms[0].AlarmConfigurationUpdatedTimestamp - Date.now() / 1000)).toBeLessThan(600);
  const bad = await run('aws', ['--endpoint-url', aws.url, 'cloudwatch', 'set-alarm-state', '--alarm-name', 'nope', '--state-value', 'OK', '--state-reason', 'x'], { env }).catch((e: { stderr: string }) => e);
  expect((bad as { stderr: string }).stderr).toContain('An error occurred (ResourceNotFound) when calling the SetAlarmState operation: Alarm nope not found');

  const script = `
import boto3, json, sys, datetime
cw = boto3.client('cloudwatch', endpoint_url=sys.argv[1])
now = datetime.datetime.now(datetime.timezone.utc)
cw.put_metric_data(Namespace='Boto', MetricData=[{'MetricName': 'Jobs', 'Value': 2.5, 'Timestamp': now}])
got = cw.get_metric_data(StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=1),
  MetricDataQueries=[{'Id': 'jobs', 'MetricStat': {'Metric': {'Namespace': 'Boto', 'MetricName': 'Jobs'}, 'Period': 60, 'Stat': 'Maximum'}}])
r = got['MetricDataResults'][0]
try:
  cw.put_metric_data(Namespace='AWS/EC2', MetricData=[{'MetricName': 'x', 'Value': 1}])
  err = None
except cw.exceptions.InvalidParameterValueException as e:
  err = [e.response['Error']['Code'], e.response['Error']['Message']]
print(json.dumps({'values': r['Values'], 'ts': [t.isoformat() for t in r['Timestamps']], 'status': r['StatusCode'], 'err': err}))
`;
  const { stdout } = await run('python3', ['-c', script, aws.url], { env });
  const out = JSON.parse(stdout);
  expect(out).toMatchObject({ values: [2.5], status: 'Complete', err: ['InvalidParameterValue', 'The value AWS/EC2 for parameter Namespace is invalid.'] });
  expect(out.ts[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00$/);
}, 300_000);

test('the Query protocol (form in, XML out) still works, as older SDKs send it', async () => {
  const body = new URLSearchParams({ Action: 'DescribeAlarms', Version: '2010-08-01', 'AlarmNames.member.1': 'queue-deep' });
  const response = await fetch(aws.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x',
    },
    body,
  });
  const text = await response.text();
  expect(response.status).toBe(200);
  expect(text).toContain('<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">');
  expect(text).toMatch(/<MetricAlarms><member><AlarmName>queue-deep<\/AlarmName>/);
});

test('alarms, their state and history and the datapoints survive a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aep-cw-restart-'));
  try {
    const first = await startLocalAws((dir) => [createCloudWatchService({ dataDir: dir, region: 'us-east-1', waitScale: 1 })], { dataDir });
    const client = new CloudWatchClient(localClientConfig(first.url));
    await client.send(new PutMetricDataCommand({ Namespace: 'Keep', MetricData: [{ MetricName: 'M', Value: 7 }] }));
    await client.send(new PutMetricAlarmCommand({ AlarmName: 'kept', Namespace: 'Keep', MetricName: 'M', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
    await client.send(new SetAlarmStateCommand({ AlarmName: 'kept', StateValue: 'ALARM', StateReason: 'before restart' }));
    client.destroy();
    await first.close();

    let reopened: CloudWatchService | undefined;
    const second = await startLocalAws((dir) => [(reopened = createCloudWatchService({ dataDir: dir, region: 'us-east-1', waitScale: 1 }))], { dataDir });
    const again = new CloudWatchClient(localClientConfig(second.url));
    try {
      expect(reopened?.alarm('kept')).toMatchObject({ StateValue: 'ALARM', StateReason: 'before restart' });
      expect((await again.send(new ListMetricsCommand({ Namespace: 'Keep' }))).Metrics?.map((m) => m.MetricName)).toEqual(['M']);
      const history = await again.send(new DescribeAlarmHistoryCommand({ AlarmName: 'kept' }));
      expect(history.AlarmHistoryItems?.map((h) => h.HistoryItemType)).toEqual(['StateUpdate', 'ConfigurationUpdate']);
    } finally {
      again.destroy();
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
