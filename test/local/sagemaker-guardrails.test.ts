import { PutMetricAlarmCommand, SetAlarmStateCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  type DeploymentConfig,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { trafficSteps } from '../../local/sagemaker/traffic-shifting';
import { eventually } from '../helpers/scenario';
import { awsChildEnv, localClientConfig } from '../helpers/local-aws';
import { ECHO_IMAGE, startSageMaker, survivors, waitForEndpoint, type SageMakerHarness } from './sagemaker.harness';

const run = promisify(execFile);
/** Wait intervals of 1200 s last 12 s here; the alarms' periods of 60 s, 0.6 s. */
const WAIT_SCALE = 0.01;

/**
 * The embedded SageMaker executes UpdateEndpoint's DeploymentConfig: the new fleet comes up next to the old one,
 * takes exactly its share of the requests while it bakes, and an alarm of the AutoRollbackConfiguration going into
 * ALARM rolls the endpoint back (Updating → RollingBack → InService on the old config, FailureReason naming it).
 */
let h: SageMakerHarness;
let cw: CloudWatchClient;
let work: string;
const statuses = new Map<string, string[]>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'aep-guardrails-'));
  h = await startSageMaker({
    waitScale: WAIT_SCALE,
    onEndpointStateChange: (r) => statuses.set(r.EndpointName, [...(statuses.get(r.EndpointName) ?? []), `${r.EndpointStatus} ${r.EndpointConfigName}`]),
  });
  cw = new CloudWatchClient(localClientConfig(h.url));
});
afterAll(async () => {
  cw.destroy();
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

/** An echo model + config; AEP_FAULT=http-500 makes every invocation of it fail, so it shows which fleet answered. */
async function echoConfig(name: string, env: Record<string, string> = {}): Promise<void> {
  await h.client.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: ECHO_IMAGE, Environment: env }, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/sm' }));
  await h.client.send(
    new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] }),
  );
}

async function endpointOn(name: string, config: string): Promise<void> {
  await h.client.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: config }));
  await waitForEndpoint(h.client, name, ['InService']);
}

/** How each of `n` requests in a row was answered: by an echo model, or by one failing with HTTP 500. */
async function answers(endpointName: string, n: number): Promise<('echo' | '500')[]> {
  const seen: ('echo' | '500')[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: endpointName, Body: Buffer.from('{}'), ContentType: 'application/json' }));
      seen.push('echo');
    } catch (error) {
      if ((error as Error).name !== 'ModelError') throw error;
      seen.push('500');
    }
  }
  return seen;
}

const describeEndpoint = (name: string) => h.client.send(new DescribeEndpointCommand({ EndpointName: name }));
/** DescribeEndpoint once the new fleet bakes (its variant status is Baking). */
const baking = (name: string) =>
  eventually(async () => {
    const d = await describeEndpoint(name);
    expect(d.PendingDeploymentSummary?.ProductionVariants?.[0].VariantStatus?.[0].Status).toBe('Baking');
    return d;
  }, 30_000);
const pids = (name: string) => h.sagemaker.hosting.instances(name).map((i) => i.process.pid!);
const stagedPids = (name: string) => h.sagemaker.hosting.stagedInstances(name).map((i) => i.process.pid!);

test('the traffic steps of each routing', () => {
  const blueGreen = (routing: Record<string, unknown>) => ({ BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { WaitIntervalInSeconds: 0, ...routing } } }) as never;
  expect(trafficSteps(blueGreen({ Type: 'ALL_AT_ONCE' }), 4)).toEqual([1]);
  expect(trafficSteps(blueGreen({ Type: 'CANARY', CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 } }), 4)).toEqual([0.25, 1]);
  expect(trafficSteps(blueGreen({ Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } }), 1)).toEqual([0.1, 1]);
  expect(trafficSteps(blueGreen({ Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 40 } }), 1)).toEqual([0.4, 0.8, 1]);
  expect(trafficSteps(blueGreen({ Type: 'LINEAR', LinearStepSize: { Type: 'INSTANCE_COUNT', Value: 2 } }), 4)).toEqual([0.5, 1]);
  expect(trafficSteps({ RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 0 } } as never, 3)).toEqual([1 / 3, 2 / 3, 1]);
});

test('CANARY 50 %: the new fleet serves every second request while it bakes; an alarm in ALARM rolls the update back', async () => {
  await echoConfig('canary-v1');
  await echoConfig('canary-v2', { AEP_FAULT: 'http-500' });
  await endpointOn('canary', 'canary-v1');
  const blue = pids('canary');
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: 'canary-errors',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: [{ Name: 'EndpointName', Value: 'canary' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  const deploymentConfig: DeploymentConfig = {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 3600 },
      TerminationWaitInSeconds: 600,
      MaximumExecutionTimeoutInSeconds: 14400,
    },
    AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'canary-errors' }] },
  };
  statuses.delete('canary');
  await h.client.send(new UpdateEndpointCommand({ EndpointName: 'canary', EndpointConfigName: 'canary-v2', DeploymentConfig: deploymentConfig }));

  const bakingCanary = await baking('canary');
  expect(bakingCanary).toMatchObject({
    EndpointStatus: 'Updating',
    EndpointConfigName: 'canary-v1',
    LastDeploymentConfig: deploymentConfig,
    PendingDeploymentSummary: {
      EndpointConfigName: 'canary-v2',
      StartTime: expect.any(Date),
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          DeployedImages: [{ SpecifiedImage: ECHO_IMAGE }],
          CurrentWeight: 0.5,
          DesiredWeight: 1,
          CurrentInstanceCount: 1,
          DesiredInstanceCount: 1,
          InstanceType: 'ml.m5.large',
          VariantStatus: [{ Status: 'Baking', StartTime: expect.any(Date), StatusMessage: expect.stringContaining('50% of traffic') }],
        },
      ],
    },
  });
  expect(bakingCanary.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 1, DesiredInstanceCount: 1 });
  expect(pids('canary')).toEqual(blue);
  const green = stagedPids('canary');
  expect(green).toHaveLength(1);

  // The canary's share, exactly: old and new fleets alternate.
  expect(await answers('canary', 8)).toEqual(['echo', '500', 'echo', '500', 'echo', '500', 'echo', '500']);

  await cw.send(new SetAlarmStateCommand({ AlarmName: 'canary-errors', StateValue: 'ALARM', StateReason: 'the canary answers 500' }));
  const rolledBack = await waitForEndpoint(h.client, 'canary', ['InService'], 30_000);
  expect(rolledBack).toMatchObject({ EndpointConfigName: 'canary-v1', LastDeploymentConfig: deploymentConfig });
  expect(rolledBack.FailureReason).toMatch(/^Endpoint update rolled back: CloudWatch alarm canary-errors .*ALARM/);
  expect(rolledBack.PendingDeploymentSummary).toBeUndefined();
  expect(statuses.get('canary')).toEqual(['Updating canary-v1', 'RollingBack canary-v1', 'InService canary-v1']);
  // The new fleet is gone; the old one serves everything again.
  expect(await survivors(green)).toEqual([]);
  expect(pids('canary')).toEqual(blue);
  expect(await answers('canary', 4)).toEqual(['echo', 'echo', 'echo', 'echo']);
}, 120_000);

test('LINEAR: traffic moves in steps, the old fleet is kept for the termination wait, then the new config serves alone', async () => {
  await echoConfig('linear-v1', { AEP_FAULT: 'http-500' });
  await echoConfig('linear-v2');
  await endpointOn('linear', 'linear-v1');
  const blue = pids('linear');
  const shares: number[] = [];
  const watch = setInterval(() => {
    const share = h.sagemaker.endpoint('linear')?.rollout?.share;
    if (share !== undefined && shares.at(-1) !== share) shares.push(share);
  }, 20);
  await h.client.send(
    new UpdateEndpointCommand({
      EndpointName: 'linear',
      EndpointConfigName: 'linear-v2',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 100 },
          TerminationWaitInSeconds: 100,
        },
      },
    }),
  );
  const done = await waitForEndpoint(h.client, 'linear', ['InService'], 30_000);
  clearInterval(watch);
  expect(done).toMatchObject({ EndpointConfigName: 'linear-v2' });
  expect(done.FailureReason).toBeUndefined();
  expect(shares).toEqual([0, 0.5, 1]);
  expect(await survivors(blue)).toEqual([]);
  // the new config (the echo, here; the old one failed every request) answers everything
  expect(await answers('linear', 3)).toEqual(['echo', 'echo', 'echo']);
}, 120_000);

test('MaximumExecutionTimeoutInSeconds passed while baking: rolled back, saying so; RetainDeploymentConfig reuses the last config', async () => {
  await echoConfig('slow-v1');
  await echoConfig('slow-v2');
  await endpointOn('slow', 'slow-v1');
  const deploymentConfig: DeploymentConfig = {
    BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 3600 }, MaximumExecutionTimeoutInSeconds: 600 },
  };
  await h.client.send(new UpdateEndpointCommand({ EndpointName: 'slow', EndpointConfigName: 'slow-v2', DeploymentConfig: deploymentConfig }));
  const rolledBack = await waitForEndpoint(h.client, 'slow', ['InService'], 60_000);
  expect(rolledBack).toMatchObject({ EndpointConfigName: 'slow-v1', LastDeploymentConfig: deploymentConfig });
  expect(rolledBack.FailureReason).toMatch(/MaximumExecutionTimeoutInSeconds \(600 s\)/);

  // the same guardrails again: the same timeout rolls it back
  await h.client.send(new UpdateEndpointCommand({ EndpointName: 'slow', EndpointConfigName: 'slow-v2', RetainDeploymentConfig: true }));
  expect(await describeEndpoint('slow')).toMatchObject({ EndpointStatus: 'Updating', LastDeploymentConfig: deploymentConfig });
  const again = await waitForEndpoint(h.client, 'slow', ['InService'], 60_000);
  expect(again.EndpointConfigName).toBe('slow-v1');
  expect(again.FailureReason).toMatch(/MaximumExecutionTimeoutInSeconds \(600 s\)/);
}, 180_000);

test('the AWS CLI and boto3 read LastDeploymentConfig and PendingDeploymentSummary as AWS sends them', async () => {
  await echoConfig('cli-v1');
  await echoConfig('cli-v2');
  await endpointOn('cli', 'cli-v1');
  await h.client.send(
    new UpdateEndpointCommand({
      EndpointName: 'cli',
      EndpointConfigName: 'cli-v2',
      DeploymentConfig: {
        // 100 steps of 36 s here: it bakes far longer than the CLI and Python take to start on a busy machine
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 1 }, WaitIntervalInSeconds: 3600 } },
      },
    }),
  );
  await baking('cli');
  const env = awsChildEnv(work);
  const cli = JSON.parse((await run('aws', ['--endpoint-url', h.url, 'sagemaker', 'describe-endpoint', '--endpoint-name', 'cli', '--output', 'json'], { env })).stdout);
  expect(cli).toMatchObject({
    EndpointStatus: 'Updating',
    EndpointConfigName: 'cli-v1',
    LastDeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 1 } } } },
    PendingDeploymentSummary: { EndpointConfigName: 'cli-v2', ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 0.01, VariantStatus: [{ Status: 'Baking' }] }] },
  });
  const script = `
import boto3, json, sys
sm = boto3.client('sagemaker', endpoint_url=sys.argv[1])
d = sm.describe_endpoint(EndpointName='cli')
p = d['PendingDeploymentSummary']
v = p['ProductionVariants'][0]
print(json.dumps({'start': type(p['StartTime']).__name__, 'status': v['VariantStatus'][0]['Status'], 'since': type(v['VariantStatus'][0]['StartTime']).__name__,
  'routing': d['LastDeploymentConfig']['BlueGreenUpdatePolicy']['TrafficRoutingConfiguration']['Type']}))
`;
  const { stdout } = await run('python3', ['-c', script, h.url], { env });
  expect(JSON.parse(stdout)).toEqual({ start: 'datetime', status: 'Baking', since: 'datetime', routing: 'LINEAR' });
}, 120_000);
