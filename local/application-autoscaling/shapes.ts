import * as z from 'zod';
import { AwsError } from '../aws-error';
import { booleanInput, enumInput, integerInput, listInput, numberInput, parseOrRefuse, stringInput } from '../validation-errors';

/** Application Auto Scaling's input shapes, as its API reference constrains them. */

export const SERVICE_NAMESPACES = [
  'ecs', 'elasticmapreduce', 'ec2', 'appstream', 'dynamodb', 'rds', 'sagemaker', 'custom-resource', 'comprehend', 'lambda',
  'cassandra', 'kafka', 'elasticache', 'neptune', 'workspaces',
] as const;
export const SAGEMAKER_VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

export const validationException = (message: string) => new AwsError('ValidationException', message, 400);
export const objectNotFound = (message: string) => new AwsError('ObjectNotFoundException', message, 400);
export const invalidNextToken = () => new AwsError('InvalidNextTokenException', 'The next token supplied was invalid.', 400);
export const parse = <T extends z.ZodType>(schema: T, input: unknown): z.infer<T> => parseOrRefuse(schema, input, validationException);

const namespace = enumInput(SERVICE_NAMESPACES);
const resourceId = stringInput(1, 1600);
const dimension = stringInput(1, 255);
const target = { ServiceNamespace: namespace, ResourceId: resourceId, ScalableDimension: dimension };

export const registerScalableTargetInput = z.object({
  ...target,
  MinCapacity: integerInput(0).optional(),
  MaxCapacity: integerInput(0).optional(),
  RoleARN: stringInput(1, 1600).optional(),
  SuspendedState: z
    .object({ DynamicScalingInSuspended: booleanInput().optional(), DynamicScalingOutSuspended: booleanInput().optional(), ScheduledScalingSuspended: booleanInput().optional() })
    .optional(),
  Tags: z.record(z.string(), z.string()).optional(),
});

export const targetInput = z.object(target);

export const describeScalableTargetsInput = z.object({
  ServiceNamespace: namespace,
  ResourceIds: listInput(resourceId, 50).optional(),
  ScalableDimension: dimension.optional(),
  MaxResults: integerInput(1, 50).optional(),
  NextToken: z.string().optional(),
});

const stepAdjustment = z.object({
  MetricIntervalLowerBound: numberInput().optional(),
  MetricIntervalUpperBound: numberInput().optional(),
  ScalingAdjustment: integerInput(Number.MIN_SAFE_INTEGER),
});
export const stepScalingConfiguration = z.object({
  AdjustmentType: enumInput(['ChangeInCapacity', 'PercentChangeInCapacity', 'ExactCapacity'] as const).optional(),
  StepAdjustments: listInput(stepAdjustment, 20).optional(),
  MinAdjustmentMagnitude: integerInput(Number.MIN_SAFE_INTEGER).optional(),
  Cooldown: integerInput(0).optional(),
  MetricAggregationType: enumInput(['Average', 'Minimum', 'Maximum'] as const).optional(),
});
export type StepScalingConfiguration = z.infer<typeof stepScalingConfiguration>;

export const targetTrackingConfiguration = z.object({
  TargetValue: numberInput(),
  PredefinedMetricSpecification: z.object({ PredefinedMetricType: stringInput(1, 255), ResourceLabel: stringInput(1, 1023).optional() }).optional(),
  CustomizedMetricSpecification: z
    .object({
      MetricName: stringInput(1, 255).optional(),
      Namespace: stringInput(1, 255).optional(),
      Dimensions: listInput(z.object({ Name: stringInput(1, 255), Value: stringInput(1, 1024) }), 30).optional(),
      Statistic: enumInput(['Average', 'Minimum', 'Maximum', 'SampleCount', 'Sum'] as const).optional(),
      Unit: z.string().optional(),
      Metrics: z.array(z.unknown()).optional(),
    })
    .optional(),
  ScaleOutCooldown: integerInput(0).optional(),
  ScaleInCooldown: integerInput(0).optional(),
  DisableScaleIn: booleanInput().optional(),
});
export type TargetTrackingConfiguration = z.infer<typeof targetTrackingConfiguration>;

export const putScalingPolicyInput = z.object({
  PolicyName: stringInput(1, 256).regex(/^[^\u0000-\u001f\u007f]+$/, 'Member must satisfy regular expression pattern: \\p{Print}+'),
  ...target,
  PolicyType: enumInput(['StepScaling', 'TargetTrackingScaling', 'PredictiveScaling'] as const).optional(),
  StepScalingPolicyConfiguration: stepScalingConfiguration.optional(),
  TargetTrackingScalingPolicyConfiguration: targetTrackingConfiguration.optional(),
  PredictiveScalingPolicyConfiguration: z.unknown().optional(),
});

export const describeScalingPoliciesInput = z.object({
  PolicyNames: listInput(stringInput(1, 1600), 50).optional(),
  ServiceNamespace: namespace,
  ResourceId: resourceId.optional(),
  ScalableDimension: dimension.optional(),
  MaxResults: integerInput(1, 50).optional(),
  NextToken: z.string().optional(),
});

export const deleteScalingPolicyInput = z.object({ PolicyName: stringInput(1, 256), ...target });

export const describeScalingActivitiesInput = z.object({
  ServiceNamespace: namespace,
  ResourceId: resourceId.optional(),
  ScalableDimension: dimension.optional(),
  MaxResults: integerInput(1, 50).optional(),
  NextToken: z.string().optional(),
  IncludeNotScaledActivities: booleanInput().optional(),
});
