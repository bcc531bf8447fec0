import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingActivitiesCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, startTestAws, type TestAws } from '../helpers/embedded';
import { echoDeployment, ECHO_FIXTURES, eventually, outcome, runDeployment, uploadEchoFixtures } from '../helpers/scenario';
import { ADMIN_TOKEN_HEADER } from '../../local/request-guard';

/**
 * Scale-to-zero on the embedded AWS, through public APIs only: the pipeline's Finalize registers the scalable
 * target, the backlog target tracking and the step policy out of zero (on the HasBacklogWithoutCapacity alarm);
 * the idle endpoint goes to 0 instances, an async request wakes it, completes, and it goes back to 0.
 * Wait scale 0.01: a 60 s alarm period is 0.6 s, the 15-minute scale-in alarm 9 s.
 */

const ENDPOINT = 'scale-zero';
const NAMESPACE = 'sagemaker';
let t: TestAws;
let scaling: ApplicationAutoScalingClient;
let cw: CloudWatchClient;

beforeAll(async () => {
  t = await startTestAws({ waitScale: 0.01 });
  await uploadEchoFixtures(t);
  const common = { endpoint: t.aws.url, region: t.aws.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  scaling = new ApplicationAutoScalingClient(common);
  cw = new CloudWatchClient(common);
}, 60_000);

afterAll(async () => {
  scaling?.destroy();
  cw?.destroy();
  await t?.stop();
});

const run = promisify(execFile);
/** `aep status --json` as a user runs it, a child process against the embedded AWS. */
async function aepStatus(execution: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  delete env.AWS_ENDPOINT_URL;
  const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'cli', 'bin.cjs'), 'status', execution, '--endpoint-url', t.aws.url, '--json'], { env });
  return JSON.parse(stdout) as { endpoint?: { variants: Array<Record<string, unknown>> } };
}

const variant = async () => (await t.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).ProductionVariants![0];
const activities = async () =>
  (await scaling.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: NAMESPACE, ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic` }))).ScalingActivities ?? [];

test('an autoscaled deployment idles to 0 instances, an async request scales it out and completes, then back to 0', async () => {
  const input = {
    ...echoDeployment(ENDPOINT),
    autoscaling: { minCapacity: 0, maxCapacity: 2, targetBacklogPerInstance: 5, scaleInCooldownSeconds: 60, scaleOutCooldownSeconds: 60 },
  };
  const deployed = await runDeployment(t, 'scale-zero-1', input);
  expect(outcome(deployed).status).toBe('SUCCEEDED');

  const targets = await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE }));
  expect(targets.ScalableTargets).toEqual([
    expect.objectContaining({ ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: 0, MaxCapacity: 2 }),
  ]);
  const policies = await scaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: NAMESPACE, ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic` }));
  expect(policies.ScalingPolicies?.map((p) => p.PolicyType).sort()).toEqual(['StepScaling', 'TargetTrackingScaling']);

  // Idle: the target tracking's low alarm scales in to the minimum, 0; no model process is left.
  await eventually(async () => expect(await variant()).toMatchObject({ CurrentInstanceCount: 0, DesiredInstanceCount: 0 }), 120_000, 200);
  // The activity is marked Successful just after the capacity change it made is visible.
  await eventually(async () => expect((await activities()).find((a) => a.Description === 'Setting desired instance count to 0.')).toMatchObject({ StatusCode: 'Successful' }));
  const status = await aepStatus('scale-zero-1');
  expect(status.endpoint?.variants[0]).toMatchObject({
    variantName: 'AllTraffic',
    currentInstanceCount: 0,
    desiredInstanceCount: 0,
    scaling: { minCapacity: 0, maxCapacity: 2, lastActivity: { description: 'Setting desired instance count to 0.', status: 'Successful' } },
  });
  const fromZero = `${ENDPOINT}-scale-out-from-zero`;
  expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: [fromZero] }))).MetricAlarms?.[0]).toMatchObject({ MetricName: 'HasBacklogWithoutCapacity', Namespace: 'AWS/SageMaker' });

  // A request at zero waits in the queue; HasBacklogWithoutCapacity → alarm → step policy → one instance → done.
  const sentAt = new Date();
  const invoked = await t.clients.sagemakerRuntime.send(
    new InvokeEndpointAsyncCommand({ EndpointName: ENDPOINT, InputLocation: ECHO_FIXTURES.payload, ContentType: 'application/json' }),
  );
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(invoked.OutputLocation!)!;
  const output = await eventually(async () => {
    const object = await t.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return object.Body!.transformToString();
  }, 120_000, 200);
  expect(output).toBe(ECHO_FIXTURES.body);
  const successTopic = t.aws.names.asyncSuccessTopicArn;
  const notified = await (await fetch(`${t.aws.url}/_aep/sns/messages?topicArn=${encodeURIComponent(successTopic)}`, { headers: { [ADMIN_TOKEN_HEADER]: t.aws.adminToken } })).json() as { messages: Array<{ message: string }> };
  expect(notified.messages.some((m) => JSON.parse(m.message).inferenceId === invoked.InferenceId)).toBe(true);

  const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: fromZero, HistoryItemType: 'StateUpdate', StartDate: sentAt }));
  expect(history.AlarmHistoryItems?.some((h) => h.HistorySummary?.endsWith('to ALARM'))).toBe(true);
  await eventually(async () =>
    expect((await activities()).find((a) => a.Description === 'Setting desired instance count to 1.' && a.Cause?.includes(fromZero))).toMatchObject({ StatusCode: 'Successful' }),
  );
  const metric = await cw.send(
    new GetMetricDataCommand({
      StartTime: new Date(sentAt.getTime() - 120_000),
      EndTime: new Date(Date.now() + 60_000),
      MetricDataQueries: [
        { Id: 'nocapacity', MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: 'HasBacklogWithoutCapacity', Dimensions: [{ Name: 'EndpointName', Value: ENDPOINT }] }, Period: 60, Stat: 'Maximum' } },
      ],
    }),
  );
  expect(Math.max(...(metric.MetricDataResults?.[0].Values ?? []))).toBe(1);

  // Idle again: back to 0.
  await eventually(async () => expect(await variant()).toMatchObject({ CurrentInstanceCount: 0, DesiredInstanceCount: 0 }), 120_000, 200);
}, 480_000);
