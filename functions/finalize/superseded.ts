import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
} from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../lib/clients';
import { describeError, isSageMakerNotFound, isTransientAwsError } from '../lib/errors';
import { logger } from '../lib/logger';
import { isDerivedName } from '../lib/names';

/**
 * Clean-up after a successful deployment: each run leaves a model and an endpoint config named <endpoint>-<run id>.
 * Keeping the last `retainPrevious` of them makes a manual rollback one UpdateEndpoint away; older ones are deleted.
 * Never deleted: the config the endpoint now serves, the one it served before this run, and the model of any
 * config kept (a model and its config share the derived name), and anything created after this execution started.
 */
export interface CleanupArgs {
  endpointName: string;
  currentConfigName: string;
  currentModelName: string;
  previousConfigName?: string;
  retainPrevious: number;
  /** This execution's start: anything created later belongs to a run after ours and is never deleted. */
  startedAt: Date;
}

export interface CleanupResult {
  deleted: string[];
  /** Deletions SageMaker refused (permissions, in use): the run still succeeded; a person may want to look. */
  warnings: string[];
}

interface Listed {
  name: string;
  createdAt: number;
}

export async function deleteSupersededResources(args: CleanupArgs): Promise<CleanupResult> {
  const result: CleanupResult = { deleted: [], warnings: [] };
  const later = (items: Listed[]) => items.filter((i) => i.createdAt > args.startedAt.getTime()).map((i) => i.name);
  const previous = args.previousConfigName ? [args.previousConfigName] : [];

  const configs = await listDerived(args.endpointName, listEndpointConfigs);
  const configsKept = keepNames(configs, args.retainPrevious, [args.currentConfigName, ...later(configs)], previous);
  for (const { name } of configs.filter((c) => !configsKept.has(c.name))) {
    await deleteOne(`endpoint config ${name}`, () => sagemaker().send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })), result);
  }

  const models = await listDerived(args.endpointName, listModels);
  const modelsKept = keepNames(models, args.retainPrevious, [args.currentModelName, ...later(models)], [...configsKept]);
  for (const { name } of models.filter((m) => !modelsKept.has(m.name))) {
    await deleteOne(`model ${name}`, () => sagemaker().send(new DeleteModelCommand({ ModelName: name })), result);
  }
  return result;
}

/**
 * The names to keep: `current` (this run's, or a later run's) as they are; of the others, the superseded ones, the
 * newest `retain`, plus any `needed` (the previous config, even if older — the endpoint was rolled back to it by
 * hand; the model of a kept config).
 */
function keepNames(items: Listed[], retain: number, current: string[], needed: string[]): Set<string> {
  const keep = new Set([...current, ...needed]);
  const superseded = items.filter((i) => !current.includes(i.name)).sort((a, b) => b.createdAt - a.createdAt);
  for (const item of superseded.slice(0, retain)) keep.add(item.name);
  return keep;
}

async function deleteOne(what: string, remove: () => Promise<unknown>, result: CleanupResult): Promise<void> {
  try {
    await remove();
    result.deleted.push(what);
    logger.info(`deleted superseded ${what}`);
  } catch (error) {
    if (isSageMakerNotFound(error)) return; // gone already: a re-run, or deleted by hand
    if (isTransientAwsError(error)) throw error;
    result.warnings.push(`could not delete ${what}: ${describeError(error)}`);
    logger.warn(`could not delete superseded ${what}`, { error: describeError(error) });
  }
}

type ListPage = (nameContains: string, token?: string) => Promise<{ items: Listed[]; next?: string }>;

async function listDerived(endpointName: string, list: ListPage): Promise<Listed[]> {
  const items: Listed[] = [];
  let token: string | undefined;
  do {
    const page = await list(endpointName, token);
    items.push(...page.items.filter((i) => isDerivedName(endpointName, i.name)));
    token = page.next;
  } while (token);
  return items;
}

async function listEndpointConfigs(nameContains: string, token?: string) {
  const page = await sagemaker().send(new ListEndpointConfigsCommand({ NameContains: nameContains, MaxResults: 100, NextToken: token }));
  return {
    items: (page.EndpointConfigs ?? []).map((c) => ({ name: c.EndpointConfigName ?? '', createdAt: c.CreationTime?.getTime() ?? 0 })),
    next: page.NextToken,
  };
}

async function listModels(nameContains: string, token?: string) {
  const page = await sagemaker().send(new ListModelsCommand({ NameContains: nameContains, MaxResults: 100, NextToken: token }));
  return {
    items: (page.Models ?? []).map((m) => ({ name: m.ModelName ?? '', createdAt: m.CreationTime?.getTime() ?? 0 })),
    next: page.NextToken,
  };
}
