import * as z from 'zod';
import { validationError } from '../aws-error';

/**
 * UpdateEndpoint's DeploymentConfig as the SageMaker API reference constrains it: blue/green traffic routing
 * (ALL_AT_ONCE, CANARY, LINEAR) or a rolling update, and the CloudWatch alarms that roll an update back.
 */
const capacitySize = z.strictObject({ Type: z.enum(['INSTANCE_COUNT', 'CAPACITY_PERCENT']), Value: z.number().int().min(1) });

const trafficRouting = z.strictObject({
  Type: z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR']),
  WaitIntervalInSeconds: z.number().int().min(0).max(3600),
  CanarySize: capacitySize.optional(),
  LinearStepSize: capacitySize.optional(),
});

export const deploymentConfigShape = z.strictObject({
  BlueGreenUpdatePolicy: z
    .strictObject({
      TrafficRoutingConfiguration: trafficRouting,
      TerminationWaitInSeconds: z.number().int().min(0).max(3600).optional(),
      MaximumExecutionTimeoutInSeconds: z.number().int().min(600).max(14400).optional(),
    })
    .optional(),
  RollingUpdatePolicy: z
    .strictObject({
      MaximumBatchSize: capacitySize,
      WaitIntervalInSeconds: z.number().int().min(0).max(3600),
      MaximumExecutionTimeoutInSeconds: z.number().int().min(600).max(28800).optional(),
      RollbackMaximumBatchSize: capacitySize.optional(),
    })
    .optional(),
  AutoRollbackConfiguration: z
    .strictObject({ Alarms: z.array(z.strictObject({ AlarmName: z.string().min(1).max(255) })).min(1).max(10).optional() })
    .optional(),
});
export type DeploymentConfig = z.infer<typeof deploymentConfigShape>;

/** The rules a schema cannot say: one update policy, and the size each routing type needs. */
export function checkDeploymentConfig(config: DeploymentConfig | undefined): void {
  if (!config) return;
  if (config.BlueGreenUpdatePolicy && config.RollingUpdatePolicy) {
    throw validationError('Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy can be specified in DeploymentConfig.');
  }
  const routing = config.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration;
  if (routing?.Type === 'CANARY' && !routing.CanarySize) {
    throw validationError('CanarySize must be specified when TrafficRoutingConfiguration Type is CANARY.');
  }
  if (routing?.Type === 'LINEAR' && !routing.LinearStepSize) {
    throw validationError('LinearStepSize must be specified when TrafficRoutingConfiguration Type is LINEAR.');
  }
  for (const size of [routing?.CanarySize, routing?.LinearStepSize]) {
    if (size?.Type === 'CAPACITY_PERCENT' && size.Value > 100) {
      throw validationError(`Capacity size of type CAPACITY_PERCENT must be between 1 and 100, got ${size.Value}.`);
    }
  }
}
