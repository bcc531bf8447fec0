import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createS3Service } from '../../local/s3/service';
import { localClientConfig, startLocalAws, type LocalAws } from '../helpers/local-aws';

let root: string;
let dataDir: string;
let aws: LocalAws;
let s3: S3Client;

beforeAll(async () => {
  // The data dir sits inside a root we can inspect whole: nothing may appear outside it.
  root = mkdtempSync(join(tmpdir(), 'aep-s3-attack-'));
  dataDir = join(root, 'data');
  mkdirSync(dataDir);
  aws = await startLocalAws((dir) => [createS3Service({ dataDir: dir })], { dataDir });
  s3 = new S3Client(localClientConfig(aws.url));
  await s3.send(new CreateBucketCommand({ Bucket: 'target' }));
});
afterAll(async () => {
  s3.destroy();
  await aws.close();
  rmSync(root, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What an SDK's Authorization header looks like to the embedded AWS (it checks the shape, not the signature). */
const SIGV4_S3 = 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0';

/** A request with the path exactly as given (fetch would normalize `..`), optionally declaring more than it sends. */
function raw(method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer | string; end?: boolean } = {}): Promise<RawResponse> {
  const { port } = new URL(aws.url);
  return new Promise((resolve, reject) => {
    const headers = { authorization: SIGV4_S3, ...options.headers };
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    if (options.end !== false) req.end();
  });
}

const errorCode = (body: string) => /<Code>([^<]*)<\/Code>/.exec(body)?.[1];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('hostile keys', () => {
  const keys = ['../../../escape.txt', '/absolute/path.txt', 'a/../../b.txt', '..', '.', 'nul\u0000byte', 'x/'.repeat(512), 'con', 'ü%2F..%2F'];

  test('traversal, absolute, NUL and 1,024-byte keys round-trip and stay inside the data dir', async () => {
    for (const key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: 'target', Key: key, Body: `body of ${JSON.stringify(key)}` }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'target', Key: key }));
      expect(await got.Body?.transformToString()).toBe(`body of ${JSON.stringify(key)}`);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'target' }));
    expect(listed.Contents?.map((c) => c.Key).sort()).toEqual([...keys].sort());
    const files = filesUnder(root);
    for (const file of files) {
      expect(relative(dataDir, file).startsWith('..')).toBe(false);
      // Object files are named by hashes, never by keys.
      if (file.includes(`${join('objects', 'target')}`)) expect(file.split('/').pop()).toMatch(/^[0-9a-f]{64}\.[0-9a-f-]{36}\.data$/);
    }
    expect(files.some((f) => f.includes('escape') || f.includes('absolute'))).toBe(false);
  });

  test('raw traversal paths and encoded dots address keys, not files; a 1,100-character key is KeyTooLongError', async () => {
    const put = await raw('PUT', '/target/../../../outside.txt', { body: 'raw', headers: { 'content-length': '3' } });
    expect(put.status).toBe(200);
    const viaEncoded = await raw('GET', '/target/%2e%2e/%2e%2e/%2e%2e/outside.txt');
    expect(viaEncoded).toMatchObject({ status: 200, body: 'raw' });
    expect(filesUnder(root).some((f) => f.endsWith('outside.txt'))).toBe(false);
    const long = await raw('PUT', `/target/${'k'.repeat(1100)}`, { body: 'x', headers: { 'content-length': '1' } });
    expect(long.status).toBe(400);
    expect(errorCode(long.body)).toBe('KeyTooLongError');
    const badEscape = await raw('GET', '/target/%E0%A4%A');
    expect([badEscape.status, errorCode(badEscape.body)]).toEqual([400, 'InvalidURI']);
  });
});

describe('malformed and oversized requests get S3 errors and the server keeps serving', () => {
  test('malformed XML → MalformedXML in S3 error shape', async () => {
    const response = await raw('POST', '/target?delete', {
      body: '<Delete><Object><Key>a</Key></Delete>',
      headers: { 'content-md5': 'x4vS0eIyyTnGN9z+JFTH7w==', 'content-type': 'application/xml' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>MalformedXML<\/Code><Message>[^<]+<\/Message>.*<RequestId>[^<]+<\/RequestId>/);
    const bucketConfig = await raw('PUT', '/another-bucket', { body: '<<<not xml' });
    expect([bucketConfig.status, errorCode(bucketConfig.body)]).toEqual([400, 'MalformedXML']);
  });

  test('an XML body over 2 MiB → MaxMessageLengthExceeded', async () => {
    const response = await raw('POST', '/target?delete', { body: Buffer.alloc(3 * 1024 * 1024, 'a'), headers: { 'content-md5': 'x4vS0eIyyTnGN9z+JFTH7w==' } });
    expect([response.status, errorCode(response.body)]).toEqual([400, 'MaxMessageLengthExceeded']);
  });

  test('a PUT declaring more than 5 GiB → EntityTooLarge before any byte is stored', async () => {
    const response = await raw('PUT', '/target/huge', { headers: { 'content-length': String(6 * 1024 ** 3) }, body: 'just a little', end: false });
    expect([response.status, errorCode(response.body)]).toEqual([400, 'EntityTooLarge']);
    expect(response.headers.connection).toBe('close');
  });

  test('a garbled aws-chunked body, a short body, a wrong x-amz-content-sha256 are refused; no temp file is left', async () => {
    const chunked = await raw('PUT', '/target/chunked', {
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '5', 'content-length': '12' },
      body: 'zz\r\nhello\r\n\r\n',
    });
    expect([chunked.status, errorCode(chunked.body)]).toEqual([400, 'InvalidRequest']);
    const sha = await raw('PUT', '/target/sha', { headers: { 'x-amz-content-sha256': '0'.repeat(64), 'content-length': '5' }, body: 'hello' });
    expect([sha.status, errorCode(sha.body)]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    const short = await raw('PUT', '/target/short', {
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '10', 'transfer-encoding': 'chunked' },
      body: '5\r\nhello\r\n0\r\n\r\n',
    });
    expect([short.status, errorCode(short.body)]).toEqual([400, 'IncompleteBody']);
    expect(readdirSync(join(dataDir, 's3', 'tmp'))).toEqual([]);
    for (const key of ['chunked', 'sha', 'short']) expect((await raw('HEAD', `/target/${key}`)).status).toBe(404);
  });

  test('unsupported sub-resources are NotImplemented; the server still answers afterwards', async () => {
    const tagging = await raw('GET', '/target/x?tagging');
    expect([tagging.status, errorCode(tagging.body)]).toEqual([501, 'NotImplemented']);
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain('target');
  });

  test('virtual-hosted-style requests address the bucket from the Host header', async () => {
    const put = await raw('PUT', '/vh/key.txt', { headers: { host: 'target.localhost', 'content-length': '2' }, body: 'vh' });
    expect(put.status).toBe(200);
    expect((await raw('GET', '/target/vh/key.txt')).body).toBe('vh');
  });
});

test('buckets, objects and multipart uploads survive a restart over the same data dir', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'durable' }));
  await s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'models/v1/model.tar.gz', Body: Buffer.alloc(100_000, 7), ContentType: 'application/gzip', Metadata: { run: 'r1' } }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'durable', Key: 'pending.bin' }));
  await s3.send(new UploadPartCommand({ Bucket: 'durable', Key: 'pending.bin', UploadId, PartNumber: 1, Body: 'part one' }));

  const restarted = await startLocalAws((dir) => [createS3Service({ dataDir: dir })], { dataDir });
  const client = new S3Client(localClientConfig(restarted.url));
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: 'durable', Key: 'models/v1/model.tar.gz' }));
    expect(got).toMatchObject({ ContentType: 'application/gzip', Metadata: { run: 'r1' }, ContentLength: 100_000 });
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.alloc(100_000, 7))).toBe(true);
    expect((await client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['durable', 'target']));
    expect((await client.send(new ListPartsCommand({ Bucket: 'durable', Key: 'pending.bin', UploadId }))).Parts?.map((p) => p.Size)).toEqual([8]);
  } finally {
    client.destroy();
    await restarted.close();
  }
});

describe('crash safety (metadata in the data file, no sidecar)', () => {
  const objectsOf = (dir: string, bucket: string) => readdirSync(join(dir, 's3', 'objects', bucket));

  test('kill -9 during a stream of writes loses no acknowledged object and leaves one file per object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aep-s3-crash-'));
    try {
      const writer = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 's3-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const acknowledged = new Map<string, number>();
      let output = '';
      await new Promise<void>((resolve, reject) => {
        writer.on('error', reject);
        writer.on('exit', (code) => reject(new Error(`the writer exited (${code}) before it was killed`)));
        writer.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const lines = output.split('\n');
          output = lines.pop()!;
          for (const line of lines) {
            const [key, version] = line.split(' ');
            acknowledged.set(key, Math.max(acknowledged.get(key) ?? -1, Number(version)));
            acknowledged.set(`created/${version}`, Number(version));
          }
          if (acknowledged.size >= 60) resolve();
        });
      });
      writer.removeAllListeners('exit');
      const exited = new Promise((resolve) => writer.once('exit', resolve));
      writer.kill('SIGKILL');
      await exited;

      const restarted = createS3Service({ dataDir: dir });
      for (const [key, version] of acknowledged) {
        const meta = restarted.headObject('crash', key);
        expect(meta).toBeDefined();
        const chunks: Buffer[] = [];
        for await (const chunk of await restarted.readObject('crash', key)) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        const [name, stored] = body.subarray(0, body.indexOf(10)).toString().split(' ');
        expect(name).toBe(key.startsWith('created/') ? `replaced/${version % 10}` : key);
        // An overwritten key holds its last acknowledged version or a later one, whole.
        expect(Number(stored)).toBeGreaterThanOrEqual(version);
        expect(body.length).toBe(meta!.size);
        expect(`"${createHash('md5').update(body).digest('hex')}"`).toBe(meta!.etag);
      }
      // What the crash cut short or left behind (older versions, torn files) is gone: one data file per object.
      expect(objectsOf(dir, 'crash')).toHaveLength(restarted.listKeys('crash').length);
      expect(objectsOf(dir, 'crash').every((f) => f.endsWith('.data'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('a torn data file and an older version beside the newer one: the newest whole version is the object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aep-s3-torn-'));
    try {
      const first = createS3Service({ dataDir: dir });
      await first.ensureBucket('torn');
      await first.writeObject('torn', 'k', Buffer.from('old'));
      const [older] = objectsOf(dir, 'torn');
      const olderBytes = readFileSync(join(dir, 's3', 'objects', 'torn', older));
      await first.writeObject('torn', 'k', Buffer.from('new'));
      // As a crash between the new version's rename and the old one's unlink leaves it, plus a write cut short.
      writeFileSync(join(dir, 's3', 'objects', 'torn', older), olderBytes);
      const torn = `${older.split('.')[0]}.${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}.data`;
      writeFileSync(join(dir, 's3', 'objects', 'torn', torn), Buffer.concat([Buffer.from('newest but torn'), olderBytes.subarray(3, 20)]));
      expect(objectsOf(dir, 'torn')).toHaveLength(3);

      const again = createS3Service({ dataDir: dir });
      const chunks: Buffer[] = [];
      for await (const chunk of await again.readObject('torn', 'k')) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('new');
      expect(objectsOf(dir, 'torn')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an object stored with a metadata sidecar (older data dirs) is read and converted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aep-s3-legacy-'));
    try {
      const objects = join(dir, 's3', 'objects', 'old');
      mkdirSync(objects, { recursive: true });
      mkdirSync(join(dir, 's3', 'buckets'), { recursive: true });
      writeFileSync(join(dir, 's3', 'buckets', 'old.json'), JSON.stringify({ name: 'old', creationDate: '2026-01-01T00:00:00.000Z', region: 'us-east-1' }));
      const hash = createHash('sha256').update('model.tar.gz').digest('hex');
      const dataFile = `${hash}.${'1'.repeat(8)}-1111-1111-1111-${'1'.repeat(12)}.data`;
      writeFileSync(join(objects, dataFile), 'legacy bytes');
      const meta = { key: 'model.tar.gz', size: 12, etag: '"e"', lastModified: '2026-01-01T00:00:00.000Z', contentType: 'application/gzip', metadata: { run: 'r0' }, headers: {}, dataFile };
      writeFileSync(join(objects, `${hash}.json`), JSON.stringify(meta));

      const service = createS3Service({ dataDir: dir });
      expect(service.headObject('old', 'model.tar.gz')).toMatchObject({ size: 12, contentType: 'application/gzip', metadata: { run: 'r0' } });
      const chunks: Buffer[] = [];
      for await (const chunk of await service.readObject('old', 'model.tar.gz')) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('legacy bytes');
      expect(readdirSync(objects)).toEqual([dataFile]);
      expect(createS3Service({ dataDir: dir }).headObject('old', 'model.tar.gz')).toMatchObject({ size: 12, etag: '"e"' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
