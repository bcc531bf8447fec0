/**
 * The endpoints a smoke case may take its baseline from (`baseline.endpointName`, invoked in real time by
 * CompareToBaseline). The stack grants sagemaker:InvokeEndpoint on exactly these, and ValidateInput refuses any
 * other, so a run fails before anything is created instead of with AccessDenied at the gate.
 *
 * A pattern is an endpoint name in which `*` stands for any characters (IAM's wildcard), e.g. `recsys-realtime` or
 * `ml-*`. SageMaker lower-cases names in its ARNs, so matching ignores case, as IAM on those ARNs does.
 */
export const REFERENCE_ENDPOINT_PATTERN = /^[a-zA-Z0-9*][a-zA-Z0-9*-]{0,62}$/;

/** Without a configured list: the endpoints the pipeline may manage, those starting with its name prefix. */
export function defaultReferenceEndpoints(namePrefix: string): string[] {
  return [`${namePrefix}*`];
}

export function isReferenceEndpoint(endpointName: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => wildcardRegExp(pattern).test(endpointName));
}

function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}
