import * as z from 'zod';
import { SAGEMAKER_NAME } from '../../functions/lib/deployment-input';
import { validationError } from '../aws-error';

/** The API's input shapes, as the SageMaker API reference constrains them. */
const name = z
  .string()
  .max(63, 'Member must have length less than or equal to 63')
  .regex(SAGEMAKER_NAME, 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}');

const tag = z.strictObject({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
const tags = z.array(tag).max(50).optional();
const snsTopicArn = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]*:[0-9]{12}:[a-zA-Z0-9_.-]+$/, 'Member must satisfy regular expression pattern: arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]+');
const s3Uri = z.string().regex(/^(https|s3):\/\//, 'Member must satisfy regular expression pattern: ^(https|s3)://([^/]+)/?(.*)$').max(1024);

export const containerDefinition = z.looseObject({
  Image: z.string().max(255).optional(),
  ModelDataUrl: s3Uri.optional(),
  Environment: z.record(z.string().max(1024), z.string().max(1024)).optional(),
  ContainerHostname: z.string().optional(),
  Mode: z.enum(['SingleModel', 'MultiModel']).optional(),
});
export type ContainerDefinition = z.infer<typeof containerDefinition>;

export const createModelInput = z.looseObject({
  ModelName: name,
  PrimaryContainer: containerDefinition.optional(),
  Containers: z.array(containerDefinition).max(15).optional(),
  ExecutionRoleArn: z.string().min(20).max(2048).optional(),
  EnableNetworkIsolation: z.boolean().optional(),
  Tags: tags,
});

export const productionVariant = z.looseObject({
  VariantName: name,
  ModelName: name,
  InitialInstanceCount: z.number().int().min(1).optional(),
  InstanceType: z.string().optional(),
  InitialVariantWeight: z.number().min(0).optional(),
});
export type ProductionVariant = z.infer<typeof productionVariant>;

export const asyncInferenceConfig = z.strictObject({
  ClientConfig: z.strictObject({ MaxConcurrentInvocationsPerInstance: z.number().int().min(1).max(1000).optional() }).optional(),
  OutputConfig: z.strictObject({
    KmsKeyId: z.string().max(2048).optional(),
    S3OutputPath: s3Uri.optional(),
    S3FailurePath: s3Uri.optional(),
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
  KmsKeyId: z.string().max(2048).optional(),
  Tags: tags,
});

export const createEndpointInput = z.looseObject({ EndpointName: name, EndpointConfigName: name, Tags: tags });
export const updateEndpointInput = z.looseObject({ EndpointName: name, EndpointConfigName: name });
export const modelNameInput = z.looseObject({ ModelName: name });
export const endpointConfigNameInput = z.looseObject({ EndpointConfigName: name });
export const endpointNameInput = z.looseObject({ EndpointName: name });

const epochSeconds = z.union([z.number(), z.string()]).transform((v) => (typeof v === 'number' ? v * 1000 : Date.parse(v)));
export const listInput = z.looseObject({
  NameContains: z.string().max(63).optional(),
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

export const addTagsInput = z.looseObject({ ResourceArn: z.string().max(256), Tags: z.array(tag).max(50) });
export const listTagsInput = z.looseObject({
  ResourceArn: z.string().max(256),
  MaxResults: z.number().int().min(50).max(100).optional(),
  NextToken: z.string().optional(),
});
export const deleteTagsInput = z.looseObject({ ResourceArn: z.string().max(256), TagKeys: z.array(z.string().min(1).max(128)).min(1).max(50) });

/** Parses an operation's input, answering a bad one the way AWS does: "N validation errors detected: …". */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const detail = issues
    .map((issue) => {
      const field = issue.path.map(String).join('.');
      const value = issue.path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k as string], input);
      return `Value ${value === undefined ? 'null' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`} at '${lowerFirst(field)}' failed to satisfy constraint: ${issue.message}`;
    })
    .join('; ');
  throw validationError(`${issues.length} validation error${issues.length > 1 ? 's' : ''} detected: ${detail}`);
}

const lowerFirst = (s: string) => s.replace(/(^|\.)([A-Z])/g, (_m, dot: string, c: string) => dot + c.toLowerCase());
