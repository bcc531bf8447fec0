import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudWatchService } from '../cloudwatch/service';
import type { Hosting } from '../hosting/hosting';
import type { DeploymentConfig } from './deployment-config';
import type { Deployment, EndpointRecord, Rollout } from './store';

type CapacitySize = { Type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT'; Value: number };

export interface TrafficShiftContext {
  hosting: Hosting;
  /** The embedded CloudWatch, whose alarms AutoRollbackConfiguration names; without it no alarm can trip. */
  cloudwatch?: Pick<CloudWatchService, 'alarm' | 'onAlarmStateChange'>;
  /** AEP_LOCAL_WAIT_SCALE: wait intervals, termination wait and the execution timeout are multiplied by it. */
  waitScale: number;
  /** Aborted when the embedded AWS closes: every wait ends at once. */
  closing: AbortSignal;
  /** The rest of the simulated provisioning time (benchmarks), before traffic moves. */
  provisioning(): Promise<void>;
  /** The record changed: saved; with `announce`, its status changed (SageMaker's endpoint state-change event). */
  changed(record: EndpointRecord, announce: boolean): void;
}

/** An update executed with guardrails ends promoted, or rolled back to the old fleet. */
export type TrafficShiftOutcome = 'promoted' | 'rolled back' | 'interrupted';

/**
 * UpdateEndpoint with a DeploymentConfig, as SageMaker's deployment guardrails run it: the new fleet comes up next
 * to the old one (variant status Creating); traffic moves to it in the steps of the routing — ALL_AT_ONCE in one,
 * CANARY its canary share then the rest, LINEAR (and a rolling update's batches) step by step — each step
 * ActivatingTraffic then Baking for WaitIntervalInSeconds; a blue/green update then keeps the old fleet for
 * TerminationWaitInSeconds (the final baking). The AutoRollbackConfiguration alarms are watched all along: one in
 * ALARM, or MaximumExecutionTimeoutInSeconds passed, moves the endpoint to RollingBack — all traffic back on the old
 * fleet, the new one torn down — and then InService on its old config with FailureReason saying why.
 * Throws (HostingError) only when the new fleet never became healthy: the caller rolls that back as any update.
 */
export async function shiftTraffic(record: EndpointRecord, deployment: Deployment, config: DeploymentConfig, ctx: TrafficShiftContext): Promise<TrafficShiftOutcome> {
  const { hosting } = ctx;
  const name = record.EndpointName;
  const blueGreen = config.BlueGreenUpdatePolicy;
  const rolling = config.RollingUpdatePolicy;
  const waitMs = ((blueGreen?.TrafficRoutingConfiguration.WaitIntervalInSeconds ?? rolling?.WaitIntervalInSeconds ?? 0) * 1000) * ctx.waitScale;
  const terminationWaitMs = (blueGreen?.TerminationWaitInSeconds ?? 0) * 1000 * ctx.waitScale;
  const timeoutSeconds = blueGreen?.MaximumExecutionTimeoutInSeconds ?? rolling?.MaximumExecutionTimeoutInSeconds;
  const deadline = timeoutSeconds === undefined ? undefined : deployment.startedAt + timeoutSeconds * 1000 * ctx.waitScale;
  const alarms = config.AutoRollbackConfiguration?.Alarms?.map((a) => a.AlarmName) ?? [];

  const setRollout = (variantStatus: Rollout['variantStatus'], share: number, statusMessage?: string) => {
    record.rollout = { variantStatus, since: Date.now(), share, ...(statusMessage ? { statusMessage } : {}) };
    ctx.changed(record, false);
  };

  // An alarm going to ALARM ends the current wait at once; one already in ALARM is found before each step.
  const tripped = new AbortController();
  let trippedAlarm: string | undefined;
  const unsubscribe = ctx.cloudwatch?.onAlarmStateChange((change) => {
    if (change.newState !== 'ALARM' || !alarms.includes(change.alarmName) || trippedAlarm) return;
    trippedAlarm = change.alarmName;
    tripped.abort();
  });
  const alarmInAlarm = () => trippedAlarm ?? alarms.find((a) => ctx.cloudwatch?.alarm(a)?.StateValue === 'ALARM');
  const stopWaiting = AbortSignal.any([tripped.signal, ctx.closing]);
  const bake = async (ms: number) => {
    const limit = deadline === undefined ? ms : Math.min(ms, Math.max(0, deadline - Date.now()));
    if (limit > 0) await sleep(limit, undefined, { signal: stopWaiting }).catch(() => undefined);
  };
  /** Why the update must roll back now, if it must. */
  const rollbackReason = (): string | undefined => {
    const alarm = alarmInAlarm();
    if (alarm) {
      return `Endpoint update rolled back: CloudWatch alarm ${alarm} in the AutoRollbackConfiguration went into ALARM state during the deployment.`;
    }
    if (deadline !== undefined && Date.now() >= deadline) {
      return `Endpoint update rolled back: the deployment did not complete within MaximumExecutionTimeoutInSeconds (${timeoutSeconds} s).`;
    }
    return undefined;
  };

  try {
    setRollout('Creating', 0);
    const fleet = await hosting.startFleet({ endpointName: name, endpointConfigName: deployment.EndpointConfigName, variants: deployment.variants });
    await ctx.provisioning();
    await hosting.stage(name, fleet);
    if (ctx.closing.aborted) return 'interrupted';

    const steps = trafficSteps(config, deployment.variants.reduce((n, v) => n + v.instanceCount, 0));
    for (const [i, share] of steps.entries()) {
      const reason = rollbackReason();
      if (reason) return await rollBack(record, reason, ctx);
      setRollout('ActivatingTraffic', share);
      hosting.shiftTraffic(name, share);
      setRollout('Baking', share, `Baking for ${seconds(waitMs / ctx.waitScale)} s after shifting ${Math.round(share * 100)}% of traffic (step ${i + 1} of ${steps.length}).`);
      await bake(waitMs);
      if (ctx.closing.aborted) return 'interrupted';
    }
    if (terminationWaitMs > 0) {
      setRollout('Baking', 1, `Waiting ${seconds(terminationWaitMs / ctx.waitScale)} s (TerminationWaitInSeconds) before terminating the old fleet.`);
      await bake(terminationWaitMs);
      if (ctx.closing.aborted) return 'interrupted';
    }
    const reason = rollbackReason();
    if (reason) return await rollBack(record, reason, ctx);
    await hosting.promoteStaged(name);
    record.rollout = undefined;
    return 'promoted';
  } catch (error) {
    record.rollout = undefined;
    await hosting.discardStaged(name);
    throw error;
  } finally {
    unsubscribe?.();
  }
}

/**
 * The shares of traffic the new fleet gets, step by step, ending at all of it. A size in instances is that part
 * of the new fleet's instances; a CAPACITY_PERCENT size is that share of the traffic.
 */
export function trafficSteps(config: DeploymentConfig, instanceCount: number): number[] {
  const routing = config.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration;
  const share = (size: CapacitySize | undefined) =>
    !size || instanceCount === 0 ? 1 : size.Type === 'CAPACITY_PERCENT' ? size.Value / 100 : Math.min(1, size.Value / instanceCount);
  if (routing?.Type === 'CANARY') {
    const canary = share(routing.CanarySize);
    return canary < 1 ? [canary, 1] : [1];
  }
  const step = routing?.Type === 'LINEAR' ? share(routing.LinearStepSize) : config.RollingUpdatePolicy ? share(config.RollingUpdatePolicy.MaximumBatchSize) : 1;
  const steps: number[] = [];
  for (let n = 1; n * step < 1 - 1e-9; n++) steps.push(n * step);
  return [...steps, 1];
}

/** RollingBack: all traffic back on the old fleet, the new fleet torn down; then InService on the old config. */
async function rollBack(record: EndpointRecord, reason: string, ctx: TrafficShiftContext): Promise<TrafficShiftOutcome> {
  ctx.hosting.shiftTraffic(record.EndpointName, 0);
  record.EndpointStatus = 'RollingBack';
  record.rollout = { variantStatus: 'Deleting', since: Date.now(), share: 0, statusMessage: reason };
  ctx.changed(record, true);
  await ctx.hosting.discardStaged(record.EndpointName);
  record.rollout = undefined;
  record.pending = undefined;
  record.EndpointStatus = 'InService';
  record.FailureReason = reason;
  ctx.changed(record, true);
  return 'rolled back';
}

const seconds = (ms: number) => Math.round(ms / 1000);
