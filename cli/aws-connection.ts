import { Option, type Command } from 'commander';
import { resetClients } from '../functions/lib/clients';
import { UsageError } from './cli-errors';

/** The embedded AWS's default port, as `aep local up` uses it. */
export const DEFAULT_LOCAL_PORT = 4566;

export interface ConnectionOptions {
  local?: boolean;
  endpointUrl?: string;
  region?: string;
}

/** Where the CLI's AWS calls go: AWS itself (the usual credential/region chain) or an embedded AWS. */
export interface AwsConnection {
  /** Set for the embedded AWS (or any endpoint override); undefined for AWS. */
  endpointUrl?: string;
  local: boolean;
  /** In words, for messages: "http://127.0.0.1:4566" or "AWS". */
  describe: string;
}

/** Adds --local, --endpoint-url and --region to a command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--local', 'use the embedded AWS at http://127.0.0.1:$AEP_PORT (default 4566)').conflicts('endpointUrl'))
    .addOption(new Option('--endpoint-url <url>', 'use the AWS-compatible endpoint at <url> (e.g. the embedded AWS)'))
    .addOption(new Option('--region <region>', 'AWS region (default: the usual chain; us-east-1 locally)'));
}

/**
 * Points every AWS client of this process at the chosen endpoint. The shared client factory (functions/lib/clients)
 * and the SDK honour AWS_ENDPOINT_URL, so the CLI and the pipeline's own code take the same path to AWS.
 * Locally there is no account: dummy credentials stand in when none are configured.
 */
export function connect(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): AwsConnection {
  if (options.local && options.endpointUrl) throw new UsageError('--local and --endpoint-url are alternatives; give one');
  const endpointUrl = options.local ? localEndpointUrl(env) : options.endpointUrl ? checkedUrl(options.endpointUrl) : undefined;
  if (options.region) env.AWS_REGION = options.region;
  if (endpointUrl) {
    env.AWS_ENDPOINT_URL = endpointUrl;
    env.AWS_REGION ??= env.AWS_DEFAULT_REGION ?? 'us-east-1';
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      env.AWS_ACCESS_KEY_ID = 'test';
      env.AWS_SECRET_ACCESS_KEY = 'test';
    }
  }
  resetClients();
  return { endpointUrl, local: endpointUrl !== undefined, describe: endpointUrl ?? 'AWS' };
}

export function localEndpointUrl(env: NodeJS.ProcessEnv = process.env): string {
  const port = env.AEP_PORT ?? String(DEFAULT_LOCAL_PORT);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError(`AEP_PORT must be a port number, not "${port}"`);
  return `http://127.0.0.1:${port}`;
}

function checkedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--endpoint-url must be a URL such as http://127.0.0.1:4566, not "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--endpoint-url must be http(s), not ${url.protocol}`);
  return url.origin;
}
