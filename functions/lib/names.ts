import { createHash } from 'node:crypto';
import { SAGEMAKER_NAME, SAGEMAKER_NAME_MAX } from './deployment-input';

/** Length of the run id appended to model and endpoint-config names (plus one hyphen). */
export const RUN_ID_LENGTH = 10;

/** The longest endpoint name whose derived model/config names still fit SageMaker's 63 characters. */
export const ENDPOINT_NAME_MAX = SAGEMAKER_NAME_MAX - RUN_ID_LENGTH - 1;

/**
 * A run id derived from the execution ARN: a retried or redriven step derives the same names and finds its own
 * resources, while two executions never collide.
 */
export function runId(executionArn: string): string {
  return createHash('sha256').update(executionArn).digest('hex').slice(0, RUN_ID_LENGTH);
}

export interface ResourceNames {
  endpoint: string;
  model: string;
  endpointConfig: string;
  /**
   * The temporary endpoint the candidate strategy tests on. SageMaker names endpoints, configs and models in separate
   * namespaces, so it shares the run's derived name: within 63 characters and the name prefix, like the others.
   */
  candidate: string;
  runId: string;
}

export function resourceNames(endpointName: string, executionArn: string): ResourceNames {
  const id = runId(executionArn);
  const derived = `${endpointName}-${id}`;
  return { endpoint: endpointName, model: derived, endpointConfig: derived, candidate: derived, runId: id };
}

/** True when `name` is a model or endpoint-config name this pipeline derived for `endpointName`. */
export function isDerivedName(endpointName: string, name: string): boolean {
  return (
    name.length === endpointName.length + 1 + RUN_ID_LENGTH &&
    name.startsWith(`${endpointName}-`) &&
    /^[0-9a-f]+$/.test(name.slice(endpointName.length + 1))
  );
}

export function isValidSageMakerName(name: string): boolean {
  return name.length <= SAGEMAKER_NAME_MAX && SAGEMAKER_NAME.test(name);
}

/** Keys in the artifacts bucket; one place so every step and the CLI agree on the layout. */
export const artifactKeys = {
  lock: (endpoint: string) => `locks/${endpoint}.json`,
  asyncInput: (endpoint: string, executionName: string, caseName: string) =>
    `async-inputs/${endpoint}/${executionName}/${caseName}`,
  /** Failures too (`<id>-error.out` next to `<id>.out`): CheckOutput then finds either with one listing. */
  asyncOutputPrefix: (endpoint: string) => `async-outputs/${endpoint}/`,
  report: (endpoint: string, executionName: string, caseName: string) =>
    `reports/${endpoint}/${executionName}/${caseName}.json`,
  audit: (endpoint: string, executionName: string) => `audit/${endpoint}/${executionName}.json`,
  auditPrefix: (endpoint: string) => `audit/${endpoint}/`,
};

/** Tag keys stamped on SageMaker resources. */
export const TAGS = {
  pipeline: 'aep:pipeline',
  execution: 'aep:execution',
  endpoint: 'aep:endpoint',
  /** On a candidate endpoint: the production endpoint it stands in for. */
  candidateFor: 'aep:candidate-for',
} as const;
