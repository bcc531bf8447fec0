import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCloudWatchService } from '../../local/cloudwatch/service';
import { FaultInjector } from '../../local/faults';
import { localClientConfig, startLocalAws, type LocalAws } from '../helpers/local-aws';

// A full disk (an injected ENOSPC) under PutMetricAlarm and DeleteAlarms: the request fails with nothing changed in
// memory or on disk, and the same request succeeds once there is room again.
describe('embedded CloudWatch when its alarms cannot be written', () => {
  let aws: LocalAws;
  let cw: CloudWatchClient;
  const faults = new FaultInjector();
  beforeAll(async () => {
    aws = await startLocalAws((dataDir) => [createCloudWatchService({ dataDir, region: 'us-east-1', waitScale: 1, faults })]);
    cw = new CloudWatchClient(localClientConfig(aws.url));
  });
  afterAll(async () => {
    cw.destroy();
    await aws.close();
  });

  const diskFull = () =>
    faults.add({ service: 'disk', operation: 'write', resource: join(aws.dataDir, 'cloudwatch'), count: 1, error: { code: 'ENOSPC', message: 'no space left on device' } });
  const refused = { message: expect.stringMatching(/^ENOSPC: no space left on device, write '.*alarms\.json'$/) };
  const alarm = { AlarmName: 'a', Namespace: 'Shop', MetricName: 'Latency', Statistic: 'Average' as const, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' as const, EvaluationPeriods: 1, Period: 60 };
  const described = async () => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['a'] }))).MetricAlarms ?? [];
  const onDisk = () => (JSON.parse(readFileSync(join(aws.dataDir, 'cloudwatch', 'alarms.json'), 'utf8')) as { alarms: { AlarmName: string; Threshold: number }[] }).alarms;

  it('PutMetricAlarm (create and update) and DeleteAlarms change nothing when the write fails, and succeed when retried', async () => {
    diskFull();
    await expect(cw.send(new PutMetricAlarmCommand(alarm))).rejects.toMatchObject(refused);
    expect(await described()).toEqual([]);
    expect((await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'a' }))).AlarmHistoryItems).toEqual([]);
    await cw.send(new PutMetricAlarmCommand(alarm));

    diskFull();
    await expect(cw.send(new PutMetricAlarmCommand({ ...alarm, Threshold: 9 }))).rejects.toMatchObject(refused);
    expect((await described())[0].Threshold).toBe(1);
    expect(onDisk()).toMatchObject([{ AlarmName: 'a', Threshold: 1 }]);

    diskFull();
    await expect(cw.send(new DeleteAlarmsCommand({ AlarmNames: ['a'] }))).rejects.toMatchObject(refused);
    expect(await described()).toHaveLength(1);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['a'] }));
    expect(await described()).toEqual([]);
    expect(onDisk()).toEqual([]);
  });
});
