import { sageMakerArn, type SageMakerResource } from '../../sagemaker/arns';
import { requestTagContext, resourceTagContext, type AuthorizationCheck, type CallAuthorization, type ContextValues } from './check';

type Tags = Array<{ Key: string; Value: string }>;

/** The resource an input field names, as SageMaker's ARNs spell it (lower-cased name). */
const NAME_FIELDS: Array<[field: string, type: SageMakerResource]> = [
  ['EndpointName', 'endpoint'],
  ['EndpointConfigName', 'endpoint-config'],
  ['ModelName', 'model'],
];

/**
 * SageMaker's authorization (Service Authorization Reference, "Actions defined by Amazon SageMaker AI"):
 * - Create*: the action on the new resource with aws:RequestTag/aws:TagKeys; tags on create also need
 *   sagemaker:AddTags with sagemaker:TaggingAction = the Create action; CreateModel passes its execution role
 *   (iam:PassRole, iam:PassedToService = sagemaker.amazonaws.com); CreateEndpoint and UpdateEndpoint are also
 *   authorized on the endpoint config they use; CreateEndpointConfig carries sagemaker:InstanceTypes and sagemaker:ModelArn.
 * - every action on an existing resource carries that resource's aws:ResourceTag values; List* are on `*`.
 */
export const sageMakerAuthorization: CallAuthorization = (operation, input, ctx, lookups) => {
  const arn = (type: SageMakerResource, name: unknown) => sageMakerArn(ctx.region, type, String(name));
  const existing = (resource: string): ContextValues => resourceTagContext(lookups.sageMakerTags(resource));
  const action = `sagemaker:${operation}`;
  const tags = input.Tags as Tags | undefined;

  const created = (type: SageMakerResource, nameField: string, extra: ContextValues = {}): AuthorizationCheck[] => {
    const resource = arn(type, input[nameField]);
    const context = { ...requestTagContext(tags), ...extra };
    const checks: AuthorizationCheck[] = [{ action, resource, context }];
    if (tags && tags.length > 0) {
      checks.push({ action: 'sagemaker:AddTags', resource, context: { ...requestTagContext(tags), 'sagemaker:TaggingAction': operation } });
    }
    return checks;
  };

  switch (operation) {
    case 'CreateModel': {
      const checks = created('model', 'ModelName', input.EnableNetworkIsolation === undefined ? {} : { 'sagemaker:NetworkIsolation': String(input.EnableNetworkIsolation) });
      if (typeof input.ExecutionRoleArn === 'string') {
        checks.push({
          action: 'iam:PassRole',
          resource: input.ExecutionRoleArn,
          context: { 'iam:PassedToService': 'sagemaker.amazonaws.com', 'iam:AssociatedResourceArn': arn('model', input.ModelName) },
        });
      }
      return checks;
    }
    case 'CreateEndpointConfig': {
      const variants = (input.ProductionVariants as Array<Record<string, unknown>> | undefined) ?? [];
      const extra: ContextValues = {
        'sagemaker:InstanceTypes': variants.map((v) => String(v.InstanceType ?? '')).filter(Boolean),
        'sagemaker:ModelArn': variants.map((v) => arn('model', v.ModelName)),
      };
      if (typeof input.KmsKeyId === 'string') extra['sagemaker:VolumeKmsKeyArn'] = input.KmsKeyId;
      return created('endpoint-config', 'EndpointConfigName', extra);
    }
    case 'CreateEndpoint': {
      const config = arn('endpoint-config', input.EndpointConfigName);
      return [...created('endpoint', 'EndpointName'), { action, resource: config, context: { ...requestTagContext(tags), ...existing(config) } }];
    }
    case 'UpdateEndpoint': {
      const endpoint = arn('endpoint', input.EndpointName);
      const config = arn('endpoint-config', input.EndpointConfigName);
      return [
        { action, resource: endpoint, context: existing(endpoint) },
        { action, resource: config, context: existing(config) },
      ];
    }
    case 'AddTags':
    case 'DeleteTags':
    case 'ListTags': {
      const resource = String(input.ResourceArn ?? '');
      const context = operation === 'AddTags' ? { ...requestTagContext(tags), ...existing(resource) } : existing(resource);
      if (operation === 'DeleteTags') context['aws:TagKeys'] = (input.TagKeys as string[] | undefined) ?? [];
      return [{ action, resource, context }];
    }
  }
  if (operation.startsWith('List')) return [{ action, resource: '*' }];
  // Describe*, Delete*, UpdateEndpointWeightsAndCapacities, …: the action on the resource the input names.
  const named = NAME_FIELDS.find(([field]) => typeof input[field] === 'string');
  if (!named) return [{ action, resource: '*' }];
  const resource = arn(named[1], input[named[0]]);
  return [{ action, resource, context: existing(resource) }];
};

/** SageMaker Runtime: InvokeEndpoint / InvokeEndpointAsync on the endpoint (sagemaker:InvokeEndpoint…). */
export const sageMakerRuntimeAuthorization: CallAuthorization = (operation, input, ctx, lookups) => {
  const resource = sageMakerArn(ctx.region, 'endpoint', String(input.EndpointName));
  return [{ action: `sagemaker:${operation}`, resource, context: resourceTagContext(lookups.sageMakerTags(resource)) }];
};
