import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { readDeploymentHistory } from '../../cli/audit-history';
import { resetClients } from '../../functions/lib/clients';
import { s3Body } from '../unit/fixtures';

/** `aep history`: an endpoint's audit records, and the runs refused for invalid input that were meant for it. */
const s3 = mockClient(S3Client);

const record = (name: string, startTime: string, input: Record<string, unknown>, verdict = 'failed') => ({
  execution: { id: `arn:aws:states:us-east-1:1:execution:sm:${name}`, name, startTime },
  verdict,
  input,
  ...(verdict === 'failed' ? { error: { Error: 'InvalidInput', Cause: 'instanceType: …' } } : {}),
});

const RECORDS: Record<string, unknown> = {
  'audit/recommender/good.json': record('good', '2026-12-01T10:00:00.000Z', { modelDataUrl: 's3://aep-models/models/recommender/v1/model.tar.gz' }, 'passed'),
  'audit/_invalid/typo.json': record('typo', '2026-12-01T11:00:00.000Z', { modelDataUrl: 's3://aep-models/models/recommender/v2/model.tar.gz', instanceType: 'ml.m5.larg' }),
  'audit/_invalid/named.json': record('named', '2026-12-01T12:00:00.000Z', { modelDataUrl: 's3://aep-models/x/model.tar.gz', endpointName: 'recommender', foo: 1 }),
  'audit/_invalid/other.json': record('other', '2026-12-01T13:00:00.000Z', { modelDataUrl: 's3://aep-models/models/ranker/v1/model.tar.gz' }),
};

beforeEach(() => {
  s3.reset();
  resetClients();
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
    Contents: Object.keys(RECORDS)
      .filter((key) => key.startsWith(input.Prefix))
      .map((Key, i) => ({ Key, LastModified: new Date(Date.UTC(2026, 11, 1, i)) })),
  }));
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
    Body: s3Body(JSON.stringify(RECORDS[input.Key])),
  }));
});

it('lists the endpoint’s own records and the invalid runs meant for it, newest first', async () => {
  const entries = await readDeploymentHistory('aep-artifacts', 'recommender', 10);
  expect(entries.map((e) => [e.executionName, e.verdict])).toEqual([
    ['named', 'failed'],
    ['typo', 'failed'],
    ['good', 'passed'],
  ]);
  expect(entries[1]).toMatchObject({ error: 'InvalidInput', auditUri: 's3://aep-artifacts/audit/_invalid/typo.json' });
});

it('honours the limit across both folders', async () => {
  expect((await readDeploymentHistory('aep-artifacts', 'recommender', 1)).map((e) => e.executionName)).toEqual(['named']);
});
