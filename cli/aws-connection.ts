import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { resetClients } from '../functions/lib/clients';
import { runningServerUrl } from '../local/server-file';
import { UsageError } from './cli-errors';

/** The embedded AWS's default port, as `aep local up` uses it. */
export const DEFAULT_LOCAL_PORT = 4566;

export interface ConnectionOptions {
  local?: boolean;
  endpointUrl?: string;
  region?: string;
  profile?: string;
}

/** Where the CLI's AWS calls go: AWS itself (the usual credential/region chain) or an embedded AWS. */
export interface AwsConnection {
  /** Set for the embedded AWS (or any endpoint override); undefined for AWS. */
  endpointUrl?: string;
  local: boolean;
  /** In words, for messages: "http://127.0.0.1:4566" or "AWS". */
  describe: string;
}

/** Adds --local, --endpoint-url, --region and --profile to a command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--local', 'use the embedded AWS: $AEP_PORT, else the one `aep local up` runs on this data dir ($AEP_DATA_DIR, else .aep), else port 4566').conflicts('endpointUrl'))
    .addOption(new Option('--endpoint-url <url>', 'use the AWS-compatible endpoint at <url> (default $AWS_ENDPOINT_URL)'))
    .addOption(new Option('--region <region>', 'AWS region (default $AWS_REGION, $AWS_DEFAULT_REGION, then the profile\'s; us-east-1 locally)'))
    .addOption(new Option('--profile <name>', 'named profile of ~/.aws/config and ~/.aws/credentials, SSO included (default $AWS_PROFILE)'));
}

/**
 * Points every AWS client of this process at the chosen endpoint, resolving settings in the AWS CLI's order:
 * flags, then environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE), then the shared config
 * and credentials files (the SDK's own chain: profiles, SSO, process credentials, instance roles).
 * The shared client factory (functions/lib/clients) and the SDK honour AWS_ENDPOINT_URL, so the CLI and the
 * pipeline's own code take the same path to AWS. Locally there is no account: dummy credentials stand in when none are configured.
 */
export function connect(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): AwsConnection {
  if (options.local && options.endpointUrl) throw new UsageError('--local and --endpoint-url are alternatives; give one');
  const endpointUrl = options.local
    ? localEndpointUrl(env)
    : options.endpointUrl
      ? checkedUrl(options.endpointUrl)
      : env.AWS_ENDPOINT_URL
        ? checkedUrl(env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL')
        : undefined;
  if (options.profile) env.AWS_PROFILE = options.profile;
  if (options.region) env.AWS_REGION = options.region;
  // The SDK for JavaScript reads AWS_REGION only; the AWS CLI and boto3 also read AWS_DEFAULT_REGION, before the profile.
  else if (!env.AWS_REGION && env.AWS_DEFAULT_REGION) env.AWS_REGION = env.AWS_DEFAULT_REGION;
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
  if (env.AEP_PORT === undefined) {
    const running = runningServerUrl(resolve(env.AEP_DATA_DIR ?? '.aep'));
    if (running) return running;
  }
  const port = env.AEP_PORT ?? String(DEFAULT_LOCAL_PORT);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError(`AEP_PORT must be a port number, not "${port}"`);
  return `http://127.0.0.1:${port}`;
}

function checkedUrl(text: string, setting = '--endpoint-url'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${setting} must be a URL such as http://127.0.0.1:4566, not "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${setting} must be http(s), not ${url.protocol}`);
  return url.origin;
}
