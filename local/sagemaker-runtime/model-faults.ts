import type { Instance } from '../hosting/hosting';
import type { FaultInjector } from '../faults';
import type { ContainerAnswer } from './container-call';

/**
 * Fault rules of service `sagemaker-model` make a model container misbehave as if the model itself did: an `error`
 * rule is the container answering with that HTTP status and message, a `delayMs` rule a slow model. The resource is
 * `<endpoint>/<endpoint config>/<variant>`, so a rule can hit only the new fleet of a blue/green update (the old
 * fleet, on the previous config, keeps answering). The operation is InvokeEndpoint or InvokeEndpointAsync.
 */
export async function injectedModelFault(
  faults: FaultInjector | undefined,
  endpointName: string,
  instance: Instance,
  operation: 'InvokeEndpoint' | 'InvokeEndpointAsync',
): Promise<ContainerAnswer | undefined> {
  const outcome = faults?.check({ service: 'sagemaker-model', operation, resource: `${endpointName}/${instance.endpointConfigName}/${instance.variantName}` });
  if (!outcome) return undefined;
  if ('delayMs' in outcome) {
    await new Promise((r) => setTimeout(r, outcome.delayMs));
    return undefined;
  }
  return {
    status: outcome.error.status,
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify({ error: outcome.error.code, message: outcome.error.message })),
  };
}
