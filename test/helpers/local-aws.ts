import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../local/dispatcher';
import { ADMIN_TOKEN_HEADER } from '../../local/request-guard';
import type { ServiceModule } from '../../local/service';

export interface LocalAws {
  /** `http://127.0.0.1:<port>`: the endpoint URL for SDK clients, the CLI and boto3. */
  url: string;
  dataDir: string;
  dispatcher: Dispatcher;
  /** Headers an admin route (`/_aep/…`) needs: this start's token. */
  adminHeaders: Record<string, string>;
  /** Stops the server; removes the data dir if this helper created it. */
  close(): Promise<void>;
}

/**
 * Starts the embedded AWS's dispatcher on a free loopback port with the modules `makeModules` builds over a data dir:
 * a fresh temp dir, or `options.dataDir` to reopen one (restart tests).
 */
export async function startLocalAws(
  makeModules: (dataDir: string) => ServiceModule[],
  options: { dataDir?: string; region?: string } = {},
): Promise<LocalAws> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'aep-local-'));
  const dispatcher = new Dispatcher(options.region ?? 'us-east-1');
  for (const module of makeModules(dataDir)) dispatcher.register(module);
  const url = await dispatcher.listen(0);
  return {
    url,
    dataDir,
    dispatcher,
    adminHeaders: { [ADMIN_TOKEN_HEADER]: dispatcher.guard.adminToken },
    async close() {
      await dispatcher.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Client settings for an SDK v3 client against the embedded AWS (path-style S3, dummy credentials). */
export function localClientConfig(url: string) {
  return {
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    maxAttempts: 1,
  };
}

/**
 * Environment for an AWS CLI or boto3 child process: dummy credentials, no instance metadata lookups, and config
 * files pointing at `configDir` so the user's own profiles cannot leak in.
 */
export function awsChildEnv(configDir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: configDir,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(configDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(configDir, 'credentials'),
    AWS_PAGER: '',
  };
}
