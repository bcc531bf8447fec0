import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createS3Service, type S3Service } from '../../local/s3/service';
import { awsChildEnv, startLocalAws, type LocalAws } from '../helpers/local-aws';

const run = promisify(execFile);
let aws: LocalAws;
let work: string;

beforeAll(async () => {
  let s3: S3Service | undefined;
  aws = await startLocalAws((dataDir) => [(s3 = createS3Service({ dataDir }))]);
  // Prepared in-process, as `aep local up` prepares its buckets: one CLI start-up (~3 s here) saved.
  await s3!.ensureBucket('cli-bucket');
  work = mkdtempSync(join(tmpdir(), 'aep-s3-cli-'));
});
afterAll(async () => {
  await aws.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the real AWS CLI against the embedded S3 with isolated config and dummy credentials. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run('aws', ['--endpoint-url', aws.url, ...args], { env: awsChildEnv(work), maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('aws s3 cp of a 20 MB file: multipart up, ranged down, identical bytes; s3api head-object', async () => {
  const source = join(work, 'big.bin');
  const bytes = randomBytes(20 * 1024 * 1024);
  writeFileSync(source, bytes);
  await cli('s3', 'cp', source, 's3://cli-bucket/models/big.bin');
  const head = JSON.parse(await cli('s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'models/big.bin'));
  expect(head.ContentLength).toBe(bytes.length);
  // The CLI switches to multipart above 8 MB: the ETag says how many parts it sent.
  expect(head.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
  const target = join(work, 'back.bin');
  await cli('s3', 'cp', 's3://cli-bucket/models/big.bin', target);
  expect(sha256(readFileSync(target))).toBe(sha256(bytes));
  const listing = await cli('s3', 'ls', 's3://cli-bucket/models/');
  expect(listing).toMatch(/20971520 big\.bin/);
}, 120_000);

test('aws s3api errors come back as S3 error codes', async () => {
  await expect(cli('s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'missing')).rejects.toMatchObject({
    stderr: expect.stringMatching(/\(404\).*Not Found/),
  });
  await expect(cli('s3api', 'get-object', '--bucket', 'cli-bucket', '--key', 'missing', join(work, 'none'))).rejects.toMatchObject({
    stderr: expect.stringContaining('NoSuchKey'),
  });
});

test('boto3 put, get and list, with keys needing encoding', async () => {
  const script = `
import boto3, json, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1])
s3.create_bucket(Bucket='boto-bucket')
s3.put_object(Bucket='boto-bucket', Key='dir/a b+c.json', Body=b'{"ok": true}', ContentType='application/json', Metadata={'k': 'v'})
s3.put_object(Bucket='boto-bucket', Key='dir/é', Body=b'x')
got = s3.get_object(Bucket='boto-bucket', Key='dir/a b+c.json')
listed = s3.list_objects_v2(Bucket='boto-bucket', Prefix='dir/')
v1 = s3.list_objects(Bucket='boto-bucket', Delimiter='/')
print(json.dumps({'body': got['Body'].read().decode(), 'type': got['ContentType'], 'meta': got['Metadata'],
  'keys': [o['Key'] for o in listed['Contents']], 'prefixes': [p['Prefix'] for p in v1.get('CommonPrefixes', [])]}))
`;
  const { stdout } = await run('python3', ['-c', script, aws.url], { env: awsChildEnv(work) });
  expect(JSON.parse(stdout)).toEqual({
    body: '{"ok": true}',
    type: 'application/json',
    meta: { k: 'v' },
    keys: ['dir/a b+c.json', 'dir/é'],
    prefixes: ['dir/'],
  });
});

/** CRC-64/NVME a bit at a time: a reference independent of the server's table-driven one. */
function referenceCrc64Nvme(bytes: Buffer): string {
  let crc = 0xffffffffffffffffn;
  for (const byte of bytes) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x9a6c9329ac4bc9b5n : crc >> 1n;
  }
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(crc ^ 0xffffffffffffffffn);
  return out.toString('base64');
}

test('objects uploaded without a checksum get S3’s default full-object CRC64NVME: put-object, copy-object, head-object --checksum-mode ENABLED', async () => {
  // The CLI sends no checksum of its own when only required ones are asked for: the object arrives without one.
  const env = { ...awsChildEnv(work), AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED' };
  const s3api = async (...args: string[]) =>
    JSON.parse((await run('aws', ['--endpoint-url', aws.url, 's3api', ...args], { env, maxBuffer: 16 * 1024 * 1024 })).stdout) as Record<string, unknown>;
  const checksumOf = (answer: Record<string, unknown>) => [answer.ChecksumCRC64NVME, answer.ChecksumType];

  // the reference gives the CRC-64/NVME catalogue's check value: CRC of "123456789" is 0xAE8B14860A799888
  expect(referenceCrc64Nvme(Buffer.from('123456789'))).toBe(Buffer.from('ae8b14860a799888', 'hex').toString('base64'));

  const bytes = randomBytes(300 * 1024 + 3); // several receive chunks and a tail shorter than 8 bytes
  writeFileSync(join(work, 'crc.bin'), bytes);
  const expected = [referenceCrc64Nvme(bytes), 'FULL_OBJECT'];
  expect(checksumOf(await s3api('put-object', '--bucket', 'cli-bucket', '--key', 'crc/a.bin', '--body', join(work, 'crc.bin')))).toEqual(expected);
  expect(checksumOf(await s3api('head-object', '--bucket', 'cli-bucket', '--key', 'crc/a.bin', '--checksum-mode', 'ENABLED'))).toEqual(expected);
  // returned only when asked for, as in S3
  expect(checksumOf(await s3api('head-object', '--bucket', 'cli-bucket', '--key', 'crc/a.bin'))).toEqual([undefined, undefined]);
  const got = await s3api('get-object', '--bucket', 'cli-bucket', '--key', 'crc/a.bin', '--checksum-mode', 'ENABLED', join(work, 'crc.out'));
  expect(checksumOf(got)).toEqual(expected);

  const copied = await s3api('copy-object', '--bucket', 'cli-bucket', '--key', 'crc/b.bin', '--copy-source', 'cli-bucket/crc/a.bin');
  expect(checksumOf(copied.CopyObjectResult as Record<string, unknown>)).toEqual(expected);
}, 180_000);
