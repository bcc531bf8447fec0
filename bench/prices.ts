/**
 * us-east-1 list prices the cost figures use (public pricing pages; check them before quoting): Step Functions
 * Standard per state transition, Lambda per request and per GB-second on arm64, CloudWatch Logs per GB ingested,
 * a GitHub-hosted Linux 2-vCPU runner per minute, and an ml.m5.large SageMaker inference instance per hour.
 */
export const PRICES = {
  stepFunctionsTransitionUsd: 0.025 / 1000,
  lambdaRequestUsd: 0.2 / 1_000_000,
  lambdaArmGbSecondUsd: 0.0000133334,
  logsIngestGbUsd: 0.5,
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
}

export function deploymentPrice(usage: DeploymentUsage) {
  const stepFunctionsUsd = usage.transitions * PRICES.stepFunctionsTransitionUsd;
  const lambdaRequestsUsd = usage.lambdaInvocations * PRICES.lambdaRequestUsd;
  const lambdaGbSeconds = (usage.lambdaInvocations * usage.lambdaMs * LAMBDA_MEMORY_GB) / 1000;
  const lambdaComputeUsd = lambdaGbSeconds * PRICES.lambdaArmGbSecondUsd;
  const logGb = (usage.historyBytes + usage.lambdaInvocations * LOG_BYTES_PER_INVOCATION) / 2 ** 30;
  const logsUsd = logGb * PRICES.logsIngestGbUsd;
  return {
    stepFunctionsUsd,
    lambdaRequestsUsd,
    lambdaGbSeconds,
    lambdaComputeUsd,
    logGb,
    logsUsd,
    totalUsd: stepFunctionsUsd + lambdaRequestsUsd + lambdaComputeUsd + logsUsd,
  };
}
