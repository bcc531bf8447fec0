import { AwsError, validationError } from '../aws-error';
import type { SageMakerResource } from './arns';

/** SageMaker's own wording, so code that matches on messages (and people who search them) behave as in AWS. */
const NOUN: Record<SageMakerResource, string> = { model: 'model', 'endpoint-config': 'endpoint configuration', endpoint: 'endpoint' };

export const notFound = (resource: SageMakerResource, arn: string) => validationError(`Could not find ${NOUN[resource]} "${arn}".`);

export const alreadyExists = (resource: SageMakerResource, arn: string) =>
  validationError(`Cannot create already existing ${NOUN[resource]} "${arn}".`);

export const inProgress = (verb: 'update' | 'delete', arn: string) => validationError(`Cannot ${verb} in-progress endpoint "${arn}".`);

export const cannotUpdateFailed = (arn: string) =>
  validationError(`Cannot update failed endpoint "${arn}". Delete the endpoint and create it again.`);

export function instanceLimitExceeded(instanceType: string, limit: number, current: number, delta: number): AwsError {
  return new AwsError(
    'ResourceLimitExceeded',
    `The account-level service limit '${instanceType} for endpoint usage' is ${limit} Instances, with current utilization of ${current} Instances and a request delta of ${delta} Instances. ` +
      `Please use AWS Service Quotas to request an increase for this quota (locally: hosting.maxInstancesPerType in aep.local.json).`,
    400,
  );
}
