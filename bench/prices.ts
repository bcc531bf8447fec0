/**
 * us-east-1 list prices the cost figures use (public pricing pages; check them before quoting): Step Functions
 * Standard per state transition, Lambda per request and per GB-second on arm64, CloudWatch Logs per GB ingested, S3
 * Standard requests (SageMaker's and Step Functions' API calls are not charged; three SNS publishes are $0.0000015),
 * a GitHub-hosted Linux 2-vCPU runner per minute, and an ml.m5.large SageMaker inference instance per hour.
 */
export const PRICES = {
  stepFunctionsTransitionUsd: 0.025 / 1000,
  lambdaRequestUsd: 0.2 / 1_000_000,
  lambdaArmGbSecondUsd: 0.0000133334,
  logsIngestGbUsd: 0.5,
  /** PUT, COPY, POST and LIST requests. */
  s3WriteOrListRequestUsd: 0.005 / 1000,
  /** GET, HEAD and the rest but DELETE, which is free. */
  s3ReadRequestUsd: 0.0004 / 1000,
  ciRunnerMinuteUsd: 0.008,
  /** SageMaker real-time and asynchronous inference hosting, ml.m5.large, per instance hour. */
  sageMakerMlM5LargeHourUsd: 0.115,
} as const;

/** The candidate strategy's extra endpoint: one ml.m5.large (the default instanceType and instanceCount) for its life. */
export function candidateEndpointUsd(minutes: number): number {
  return (minutes / 60) * PRICES.sageMakerMlM5LargeHourUsd;
}

/** Every step function's memory (infra/step-lambda.ts). */
const LAMBDA_MEMORY_GB = 256 / 1024;
/** What each invocation logs besides the state machine's log (Powertools lines, START/END/REPORT), roughly. */
const LOG_BYTES_PER_INVOCATION = 1500;

/** A CI job that polls SageMaker for 10 minutes instead of waiting for events. */
export const CI_RUNNER_POLLING_USD = 10 * PRICES.ciRunnerMinuteUsd;

export interface DeploymentUsage {
  transitions: number;
  lambdaInvocations: number;
  /** Typical run time of one invocation, ms (billed per ms). */
  lambdaMs: number;
  /** What the state machine's logs ingest (execution data included). */
  historyBytes: number;
  /** The S3 operations the run called, by name (PutObject, ListObjectsV2, …) → calls. */
  s3Calls: Record<string, number>;
}

const S3_WRITE_OR_LIST = /^(Put|Copy|Post|List|CreateMultipartUpload|UploadPart|CompleteMultipartUpload)/;
const S3_FREE = /^(Delete|AbortMultipartUpload)/;

/** S3's request charge: PUT/COPY/POST/LIST at one price, DELETE free, every other request at the GET price. */
function s3RequestsUsd(calls: Record<string, number>): number {
  return Object.entries(calls).reduce((usd, [operation, n]) => {
    if (S3_FREE.test(operation)) return usd;
    return usd + n * (S3_WRITE_OR_LIST.test(operation) ? PRICES.s3WriteOrListRequestUsd : PRICES.s3ReadRequestUsd);
  }, 0);
}

export function deploymentPrice(usage: DeploymentUsage) {
  const stepFunctionsUsd = usage.transitions * PRICES.stepFunctionsTransitionUsd;
  const lambdaRequestsUsd = usage.lambdaInvocations * PRICES.lambdaRequestUsd;
  const lambdaGbSeconds = (usage.lambdaInvocations * usage.lambdaMs * LAMBDA_MEMORY_GB) / 1000;
  const lambdaComputeUsd = lambdaGbSeconds * PRICES.lambdaArmGbSecondUsd;
  const logGb = (usage.historyBytes + usage.lambdaInvocations * LOG_BYTES_PER_INVOCATION) / 2 ** 30;
  const logsUsd = logGb * PRICES.logsIngestGbUsd;
  const s3RequestsUsdTotal = s3RequestsUsd(usage.s3Calls);
  return {
    stepFunctionsUsd,
    lambdaRequestsUsd,
    lambdaGbSeconds,
    lambdaComputeUsd,
    logGb,
    logsUsd,
    s3RequestsUsd: s3RequestsUsdTotal,
    totalUsd: stepFunctionsUsd + lambdaRequestsUsd + lambdaComputeUsd + logsUsd + s3RequestsUsdTotal,
  };
}
