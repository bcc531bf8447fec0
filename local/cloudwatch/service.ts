import type { FaultInjector } from '../faults';
import { queryCompatibleService } from '../protocols/query-compatible';
import { LOCAL_ACCOUNT_ID, type ServiceModule } from '../service';
import { AlarmEngine, type AlarmActionHandler, type AlarmStateChange } from './alarm-engine';
import { alarmOperations, describe } from './alarm-operations';
import { AlarmStore } from './alarm-store';
import { metricOperations, publishedPoint, type PublishedDatum } from './metric-operations';
import { MetricStore } from './metrics';
import type { PutMetricAlarmInput, StateValue } from './shapes';

export type { AlarmActionHandler, AlarmActionInvocation, AlarmStateChange } from './alarm-engine';
export type { PublishedDatum } from './metric-operations';
export type { PutMetricAlarmInput } from './shapes';

/** An alarm as in-process readers see it: what DescribeAlarms returns for it. */
export type AlarmView = ReturnType<typeof describe>;

export interface CloudWatchServiceOptions {
  dataDir: string;
  region: string;
  /** AEP_LOCAL_WAIT_SCALE: multiplies alarm periods, the evaluation tick and the repeat of Auto Scaling actions. */
  waitScale: number;
  /** The embedded AWS's fault rules: `disk` rules fail writes of the alarms. */
  faults?: FaultInjector;
}

/**
 * The embedded CloudWatch (metrics and metric alarms) on the wire — Query, awsJson1_0 and RPC v2 CBOR, see
 * queryCompatibleService — and in-process, for the other services of the embedded AWS:
 *
 * - `publish(namespace, data)`: a service's own metrics (SageMaker's `AWS/SageMaker`), as AWS services publish them
 *   (the `AWS/` namespaces PutMetricData refuses are allowed here).
 * - `alarm(name)`: an alarm as DescribeAlarms shows it (StateValue, StateReason, …), or undefined.
 * - `onAlarmStateChange(listener)`: called on every state change (evaluation or SetAlarmState) with the old and new
 *   state and the reason; returns an unsubscribe function. E.g. a deployment guardrail rolls back on `ALARM`.
 * - `handleActions(arnPrefix, handler)`: runs an alarm action whose ARN starts with the prefix (Application Auto
 *   Scaling registers `arn:aws:autoscaling:`; SNS topics are published to by the embedded AWS).
 * - `putAlarm(input)` / `deleteAlarms(names)`: PutMetricAlarm / DeleteAlarms with the same checks, for alarms
 *   another service manages (target tracking policies' alarms).
 * - `evaluateAlarms()`: one evaluation round now, instead of waiting for the clock.
 *
 * Alarms are evaluated every 10 s × wait scale over periods of Period × wait scale; see AlarmEngine.
 * State lives in `<dataDir>/cloudwatch/` (alarms.json with the history, datapoints.jsonl).
 */
export interface CloudWatchService extends ServiceModule {
  publish(namespace: string, data: readonly PublishedDatum[]): void;
  alarm(name: string): AlarmView | undefined;
  onAlarmStateChange(listener: (change: AlarmStateChange) => void): () => void;
  handleActions(arnPrefix: string, handler: AlarmActionHandler): void;
  putAlarm(input: PutMetricAlarmInput): Promise<AlarmView>;
  deleteAlarms(names: readonly string[]): Promise<void>;
  evaluateAlarms(): Promise<void>;
}

export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';

export function createCloudWatchService(options: CloudWatchServiceOptions): CloudWatchService {
  const metrics = new MetricStore(options.dataDir);
  const alarms = new AlarmStore(options.dataDir, options.faults);
  const engine = new AlarmEngine(alarms, metrics, options.waitScale);
  const alarmApi = alarmOperations(alarms, engine, options.region, LOCAL_ACCOUNT_ID);
  engine.start();

  const module = queryCompatibleService({
    name: 'cloudwatch',
    signingName: 'monitoring',
    serviceTarget: 'GraniteServiceVersion20100801',
    xmlns: CLOUDWATCH_XMLNS,
    operations: { ...metricOperations(metrics), ...alarmApi.operations },
    close: async () => {
      await engine.close();
      await metrics.flush();
    },
  });

  return Object.assign(module, {
    publish(namespace: string, data: readonly PublishedDatum[]) {
      for (const datum of data) metrics.add({ namespace, name: datum.MetricName, dimensions: datum.Dimensions }, publishedPoint(datum));
    },
    alarm(name: string) {
      const record = alarms.alarms.get(name);
      return record ? describe(record) : undefined;
    },
    onAlarmStateChange: (listener: (change: AlarmStateChange) => void) => engine.onStateChange(listener),
    handleActions: (prefix: string, handler: AlarmActionHandler) => engine.handleActions(prefix, handler),
    putAlarm: async (input: PutMetricAlarmInput) => describe(await alarmApi.putAlarm(input)),
    deleteAlarms: (names: readonly string[]) => alarmApi.deleteAlarms(names),
    evaluateAlarms: () => engine.evaluateAll(),
  });
}

export type { StateValue };
