import { GetObjectCommand, ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { s3 } from '../functions/lib/clients';
import { artifactKeys } from '../functions/lib/names';
import { INVALID_ENDPOINT_FOLDER } from '../functions/lib/audit';
import { parseS3Uri, toS3Uri } from '../functions/lib/s3-uri';
import { endpointNameFromKey } from '../functions/validate-input/resolve-config';

/** One deployment of an endpoint, as its audit record tells it: what, when, by which run, with which verdict. */
export interface DeploymentHistoryEntry {
  executionName: string;
  executionArn?: string;
  /** When the run started (or, failing that, when its record was written). */
  at: string;
  verdict: string;
  modelDataUrl?: string;
  endpointConfigName?: string;
  error?: string;
  cause?: string;
  auditUri: string;
}

/** The fields of an AuditRecord (functions/lib/audit.ts) the history shows; the rest passes through unread. */
const auditRecordSchema = z.looseObject({
  execution: z.looseObject({ id: z.string(), name: z.string(), startTime: z.string() }),
  verdict: z.string(),
  config: z.looseObject({ modelDataUrl: z.string() }).optional(),
  artifact: z.looseObject({ uri: z.string() }).optional(),
  input: z.looseObject({ modelDataUrl: z.string().optional(), endpointName: z.unknown().optional() }).optional(),
  resources: z.looseObject({ endpointConfig: z.looseObject({ name: z.string() }).optional() }).optional(),
  error: z.looseObject({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

const INVALID_RECORDS_READ = 200;

/**
 * The newest `limit` audit records of an endpoint, newest first: audit/<endpoint>/ in the artifacts bucket, and the
 * runs refused before their endpoint name was valid (audit/_invalid/) whose input still meant this endpoint — its
 * endpointName, or the models/<endpoint>/ folder of its artifact. Records are listed, sorted by LastModified and
 * only the newest are read.
 */
export async function readDeploymentHistory(bucket: string, endpointName: string, limit: number): Promise<DeploymentHistoryEntry[]> {
  const own = (await listRecords(bucket, artifactKeys.auditPrefix(endpointName))).slice(0, limit);
  // Refused runs of every endpoint share one folder: read a bounded number of the newest to find this one's.
  const invalid = (await listRecords(bucket, artifactKeys.auditPrefix(INVALID_ENDPOINT_FOLDER))).slice(0, INVALID_RECORDS_READ);
  const entries = [
    ...(await Promise.all(own.map((o) => readEntry(bucket, o)))),
    ...(await Promise.all(invalid.map((o) => readEntry(bucket, o)))).filter((e) => e.meantFor === endpointName),
  ];
  return entries
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, limit)
    .map(({ meantFor: _meantFor, ...entry }) => entry);
}

/** The `.json` records under a prefix, newest first by LastModified. */
async function listRecords(bucket: string, prefix: string): Promise<_Object[]> {
  const objects: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    objects.push(...(page.Contents ?? []).filter((o) => o.Key?.endsWith('.json')));
    token = page.NextContinuationToken;
  } while (token);
  return objects.sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0));
}

async function readEntry(bucket: string, object: _Object): Promise<DeploymentHistoryEntry & { meantFor?: string }> {
  const key = object.Key!;
  const auditUri = toS3Uri({ bucket, key });
  const fallbackName = key.slice(key.lastIndexOf('/') + 1, -'.json'.length);
  const body = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await body.Body?.transformToString('utf8')) ?? '';
  const parsed = auditRecordSchema.safeParse(safeJson(text));
  const at = object.LastModified?.toISOString() ?? '';
  if (!parsed.success) return { executionName: fallbackName, at, verdict: 'unreadable', auditUri, cause: 'not an aep audit record (JSON with execution and verdict)' };
  const r = parsed.data;
  return {
    executionName: r.execution.name,
    executionArn: r.execution.id,
    at: r.execution.startTime,
    verdict: r.verdict,
    modelDataUrl: r.config?.modelDataUrl ?? r.artifact?.uri ?? r.input?.modelDataUrl,
    endpointConfigName: r.resources?.endpointConfig?.name,
    error: r.error?.Error,
    cause: r.error?.Cause,
    auditUri,
    meantFor: typeof r.input?.endpointName === 'string' ? r.input.endpointName : endpointNameFromKey(parseS3Uri(r.input?.modelDataUrl ?? '')?.key ?? ''),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
