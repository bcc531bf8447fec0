import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { s3 } from '../lib/clients';
import { readEnvironment } from '../lib/environment';
import { WAITS_PREFIX } from '../lib/event-waits';
import { logger } from '../lib/logger';
import { deleteWait, readWait, type StoredWait, type WaitRecord } from './wait-store';

/**
 * How long a recorded wait's Task can live: its TimeoutSeconds (WaitForEndpoint: `$.config.poll.endpointSeconds`,
 * WaitForOutput: `$.poll.outputSeconds`), read from the state the record keeps; undefined when the state does not say.
 */
function taskTimeoutSeconds(record: WaitRecord): number | undefined {
  const state = record.state as { config?: { poll?: { endpointSeconds?: unknown } }; poll?: { outputSeconds?: unknown } } | undefined;
  const seconds = record.wait === 'endpoint' ? state?.config?.poll?.endpointSeconds : state?.poll?.outputSeconds;
  return typeof seconds === 'number' && seconds > 0 ? seconds : undefined;
}

/**
 * A record younger than this is not read: every registration sweeps, and reading each pending wait's record each
 * time made the calls grow with the square of the waits in flight (three smoke cases registering together read one
 * another's). A left record only costs a wasted check if an event names it, so it may live this much longer.
 */
export const SWEEP_MIN_AGE_SECONDS = 60;

/**
 * Removes the records of waits whose Task has certainly timed out (recorded more than its TimeoutSeconds, and at
 * least SWEEP_MIN_AGE_SECONDS, ago): a wait the re-check resumed instead of an event leaves its record behind, and no
 * event will ever come for it. Run by every registration, so such a record lives until the next wait anywhere in the
 * account after that (the waits/ expiry is the last resort). A record replaced meanwhile by a newer registration is
 * kept: the delete is conditional on the ETag that was judged. Returns the keys removed.
 */
export async function sweepExpiredWaits(now: Date): Promise<string[]> {
  const bucket = readEnvironment().artifactsBucket;
  const removed: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: WAITS_PREFIX, ContinuationToken: token }));
    for (const { Key: key, LastModified: modified } of page.Contents ?? []) {
      const old = modified === undefined || now.getTime() - modified.getTime() >= SWEEP_MIN_AGE_SECONDS * 1000;
      if (key && old && (await removeIfExpired(key, now))) removed.push(key);
    }
    token = page.NextContinuationToken;
  } while (token);
  if (removed.length > 0) logger.info('expired waits removed', { keys: removed });
  return removed;
}

async function removeIfExpired(key: string, now: Date): Promise<boolean> {
  let wait: StoredWait | undefined;
  try {
    wait = await readWait(key);
  } catch (error) {
    // Not a wait record (not JSON, not its shape): not this sweep's to judge.
    if (error instanceof SyntaxError || error instanceof z.ZodError) return false;
    throw error;
  }
  // Gone meanwhile (settled by its event), or its Task may still be waiting: nothing to remove.
  const timeout = wait && taskTimeoutSeconds(wait.record);
  if (!wait || timeout === undefined || now.getTime() <= Date.parse(wait.record.registeredAt) + timeout * 1000) return false;
  // Replaced meanwhile by a newer token: deleteWait removes only the version judged.
  return deleteWait(key, wait.etag);
}
