import * as z from 'zod';
import { SAGEMAKER_NAME } from '../../functions/lib/deployment-input';
import { instanceTypes } from '../../functions/lib/instance-types';
import { deploymentConfigShape } from './deployment-config';

export { parseInput } from '../protocols/input-validation';

/**
 * The API's input shapes with the constraints of SageMaker's API model (lengths, patterns, ranges, enums, required
 * members); local/protocols/input-validation.ts words their failures as SageMaker does.
 */
const name = z.string().max(63).regex(SAGEMAKER_NAME);
/** Model names may hold consecutive hyphens anywhere but at the ends: a different pattern from the other names. */
const modelName = z.string().max(63).regex(/^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/);

const tagText = z.string().regex(/^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u);
const tag = z.looseObject({ Key: tagText.min(1).max(128), Value: tagText.max(256) });
const tags = z.array(tag).max(50).optional();
const snsTopicArn = z.string().max(2048).regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]*:[0-9]{12}:[a-zA-Z0-9_.-]+$/);
const s3Uri = (max: number) => z.string().max(max).regex(/^(https|s3):\/\/([^/]+)\/?(.*)$/);
const kmsKeyId = z.string().max(2048).regex(/^[a-zA-Z0-9:/_-]*$/);
// Lazy: the list comes from the SageMaker client package, loaded when the first config is checked, not at start-up.
let instanceTypeEnum: z.ZodEnum<Record<string, string>> | undefined;
const instanceType = z.lazy(() => (instanceTypeEnum ??= z.enum(instanceTypes() as [string, ...string[]])));
const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

export const containerDefinition = z.looseObject({
  Image: z.string().max(255).regex(/^[\S]+$/).optional(),
  ModelDataUrl: s3Uri(1024).optional(),
  Environment: z
    .record(z.string().max(1024).regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string().max(1024))
    .refine((e) => Object.keys(e).length <= 100, 'Member must have length less than or equal to 100')
    .optional(),
  ContainerHostname: name.optional(),
  Mode: z.enum(['SingleModel', 'MultiModel']).optional(),
});
export type ContainerDefinition = z.infer<typeof containerDefinition>;

export const createModelInput = z.looseObject({
  ModelName: modelName,
  PrimaryContainer: containerDefinition.optional(),
  Containers: z.array(containerDefinition).max(15).optional(),
  ExecutionRoleArn: z
    .string()
    .min(20)
    .max(2048)
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/)
    .optional(),
  EnableNetworkIsolation: z.boolean().optional(),
  Tags: tags,
});

export const productionVariant = z.looseObject({
  VariantName: name,
  ModelName: modelName,
  InitialInstanceCount: z.number().int().min(1).optional(),
  InstanceType: instanceType.optional(),
  InitialVariantWeight: z.number().min(0).optional(),
  VolumeSizeInGB: seconds(1, 512).optional(),
  ModelDataDownloadTimeoutInSeconds: seconds(60, 3600).optional(),
  ContainerStartupHealthCheckTimeoutInSeconds: seconds(60, 3600).optional(),
});
export type ProductionVariant = z.infer<typeof productionVariant>;

export const asyncInferenceConfig = z.strictObject({
  ClientConfig: z.strictObject({ MaxConcurrentInvocationsPerInstance: z.number().int().min(1).max(1000).optional() }).optional(),
  OutputConfig: z.strictObject({
    KmsKeyId: kmsKeyId.optional(),
    S3OutputPath: s3Uri(512).optional(),
    S3FailurePath: s3Uri(512).optional(),
    NotificationConfig: z
      .strictObject({
        SuccessTopic: snsTopicArn.optional(),
        ErrorTopic: snsTopicArn.optional(),
        IncludeInferenceResponseIn: z.array(z.enum(['SUCCESS_NOTIFICATION_TOPIC', 'ERROR_NOTIFICATION_TOPIC'])).max(2).optional(),
      })
      .optional(),
  }),
});
export type AsyncInferenceConfig = z.infer<typeof asyncInferenceConfig>;

export const createEndpointConfigInput = z.looseObject({
  EndpointConfigName: name,
  ProductionVariants: z.array(productionVariant).min(1).max(10),
  AsyncInferenceConfig: asyncInferenceConfig.optional(),
  KmsKeyId: kmsKeyId.optional(),
  Tags: tags,
});

export const createEndpointInput = z.looseObject({ EndpointName: name, EndpointConfigName: name, Tags: tags });
export const updateEndpointInput = z.looseObject({
  EndpointName: name,
  EndpointConfigName: name,
  RetainAllVariantProperties: z.boolean().optional(),
  ExcludeRetainedVariantProperties: z
    .array(z.looseObject({ VariantPropertyType: z.enum(['DesiredInstanceCount', 'DesiredWeight', 'DataCaptureConfig']) }))
    .max(3)
    .optional(),
  DeploymentConfig: deploymentConfigShape.optional(),
  RetainDeploymentConfig: z.boolean().optional(),
});
export const modelNameInput = z.looseObject({ ModelName: modelName });
export const endpointConfigNameInput = z.looseObject({ EndpointConfigName: name });
export const endpointNameInput = z.looseObject({ EndpointName: name });

const epochSeconds = z.union([z.number(), z.string()]).transform((v) => (typeof v === 'number' ? v * 1000 : Date.parse(v)));
export const listInput = z.looseObject({
  NameContains: z.string().max(63).regex(/^[a-zA-Z0-9-]+$/).optional(),
  SortBy: z.enum(['Name', 'CreationTime', 'Status']).optional(),
  SortOrder: z.enum(['Ascending', 'Descending']).optional(),
  MaxResults: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().max(8192).optional(),
  CreationTimeBefore: epochSeconds.optional(),
  CreationTimeAfter: epochSeconds.optional(),
  LastModifiedTimeBefore: epochSeconds.optional(),
  LastModifiedTimeAfter: epochSeconds.optional(),
  StatusEquals: z
    .enum(['OutOfService', 'Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'InService', 'Deleting', 'Failed', 'UpdateRollbackFailed'])
    .optional(),
});
export type ListInput = z.infer<typeof listInput>;

const taggableArn = z.string().max(256).regex(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+$/);
export const addTagsInput = z.looseObject({ ResourceArn: taggableArn, Tags: z.array(tag).max(50) });
export const listTagsInput = z.looseObject({
  ResourceArn: taggableArn,
  MaxResults: z.number().int().min(50).optional(),
  NextToken: z.string().optional(),
});
export const deleteTagsInput = z.looseObject({ ResourceArn: taggableArn, TagKeys: z.array(tagText.min(1).max(128)).min(1).max(50) });
