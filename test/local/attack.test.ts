import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ADMIN_TOKEN_HEADER } from '../../local/request-guard';
import { startTestAws, type TestAws } from '../helpers/embedded';

/**
 * The embedded AWS has no authentication worth the name, so it must be hard to hurt: loopback only; S3 keys that look
 * like paths never become paths; oversized and malformed requests get the AWS error a client can parse; and after
 * every such request the server still answers.
 */

let t: TestAws;
let parent: string;
let dataDir: string;
/** A file next to the data dir that an escaping key would overwrite. */
let sentinel: string;
const SENTINEL_TEXT = 'untouched';

beforeAll(async () => {
  parent = mkdtempSync(join(tmpdir(), 'aep-attack-'));
  dataDir = join(parent, 'data');
  mkdirSync(dataDir);
  sentinel = join(parent, 'escape-target');
  writeFileSync(sentinel, SENTINEL_TEXT);
  t = await startTestAws({ dataDir });
}, 60_000);

afterAll(async () => {
  await t?.stop();
  rmSync(parent, { recursive: true, force: true });
});

afterEach(async () => {
  await expectStillServing();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What an SDK's Authorization header looks like to the embedded AWS (it checks the shape, not the signature). */
const SIGV4_S3 = 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0';

/**
 * One HTTP request with the path exactly as given (no URL normalisation: `..` segments reach the server as sent),
 * in the AWS shape (an S3 Authorization header unless it has X-Amz-* headers) or with the admin token on /_aep/.
 * A server may answer before it has read the whole body (413): the answer is what counts, not the upload.
 */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<RawResponse> {
  const { hostname, port } = new URL(t.aws.url);
  const awsShaped = Object.keys(headers).some((name) => /^(x-amz-|authorization$)/i.test(name));
  const shaped = path.startsWith('/_aep/') ? { [ADMIN_TOKEN_HEADER]: t.aws.adminToken } : awsShaped ? {} : { authorization: SIGV4_S3 };
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers: { ...shaped, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(body);
  });
}

/** What a raw TCP client gets back for bytes that are not HTTP at all. */
function rawSocket(bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(t.aws.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(error)));
  });
}

/** The server answers its health route and a real SDK call after whatever the test did. */
async function expectStillServing(): Promise<void> {
  const health = await raw('GET', '/_aep/health');
  expect(health.status).toBe(200);
  const buckets = await t.clients.s3.send(new ListBucketsCommand({}));
  expect(buckets.Buckets?.map((b) => b.Name)).toContain('aep-models');
}

/** An S3 error document: `<Error><Code>…</Code><Message>…</Message>…<RequestId>`. */
function expectS3Error(response: RawResponse, status: number, code: string): void {
  expect({ status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(response.body)?.[1] }).toEqual({ status, code });
  expect(response.body).toMatch(/^(<\?xml[^>]*>\s*)?<Error>.*<Message>[^<]+<\/Message>.*<RequestId>[^<]+<\/RequestId>.*<\/Error>$/s);
}

/** A JSON-protocol error: `{"__type","message"}` and the x-amzn-ErrorType header. */
function expectJsonError(response: RawResponse, status: number, code: string): void {
  const body = JSON.parse(response.body) as { __type?: string; message?: string };
  expect({ status: response.status, type: body.__type, header: response.headers['x-amzn-errortype'] }).toEqual({ status, type: code, header: code });
  expect(body.message).toEqual(expect.any(String));
}

/** Every file under a directory, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((entry) => statSync(join(dir, entry)).isFile())
    .map((entry) => relative(dir, join(dir, entry)));
}

describe('network', () => {
  test('the server listens on 127.0.0.1 only: no other interface address accepts a connection', async () => {
    const { hostname, port } = new URL(t.aws.url);
    expect(hostname).toBe('127.0.0.1');
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal)
      .map((a) => a!.address);
    for (const address of others) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: address, port: Number(port), timeout: 2_000 });
        socket.on('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('timeout', () => {
          socket.destroy();
          resolve('timeout');
        });
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect({ address, outcome }).not.toEqual({ address, outcome: 'connected' });
    }
  });

  test('bytes that are not HTTP get 400 Bad Request and the connection closed', async () => {
    expect(await rawSocket('GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    // Random bytes: a 400, or the connection simply closed; never anything served.
    expect((await rawSocket(randomBytes(4096))).slice(0, 12)).toMatch(/^(HTTP\/1\.1 400)?$/);
  });

  test('headers over the server limit get 431, not a crash', async () => {
    const answer = await rawSocket(`GET /aep-models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
  });
});

describe('S3 keys that look like paths', () => {
  const EVIL_KEYS = [
    '../../escape-target',
    '../../../../../../../../../../tmp/aep-attack-escape',
    'a/../../../escape-target',
    '/etc/passwd',
    '//double/slash',
    '..',
    '.',
    './dot',
    '..\\..\\escape-target',
    'nul\u0000byte',
    '\u0000',
    '%2e%2e/%2e%2e/escape-target',
    'x'.repeat(1024),
    `${'é'.repeat(511)}x`, // 1,023 bytes of UTF-8
  ];

  test.each(EVIL_KEYS.map((key) => [JSON.stringify(key).slice(0, 60), key]))(
    'key %s is an ordinary key: stored, listed and read back exactly, inside the data dir',
    async (_label, key) => {
      const body = `body of ${key}`;
      await t.clients.s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: key, Body: body }));
      const got = await t.clients.s3.send(new GetObjectCommand({ Bucket: 'aep-models', Key: key }));
      expect(await got.Body!.transformToString()).toBe(body);
      const listed = await t.clients.s3.send(new ListObjectsV2Command({ Bucket: 'aep-models', Prefix: key }));
      expect(listed.Contents?.map((c) => c.Key)).toContain(key);
      await t.clients.s3.send(new DeleteObjectCommand({ Bucket: 'aep-models', Key: key }));
      expectNothingEscaped();
    },
  );

  test.each([
    ['1,100 ASCII characters', 'k'.repeat(1100)],
    ['1,025 bytes', 'k'.repeat(1025)],
    ['600 two-byte characters (1,200 bytes)', 'é'.repeat(600)],
  ])('a key of %s is refused with KeyTooLongError', async (_label, key) => {
    const error = await t.clients.s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: key, Body: 'x' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(S3ServiceException);
    expect({ code: (error as S3ServiceException).name, status: (error as S3ServiceException).$metadata.httpStatusCode }).toEqual({
      code: 'KeyTooLongError',
      status: 400,
    });
    expectNothingEscaped();
  });

  test.each([
    ['raw ../ segments', '/aep-models/../../escape-target'],
    ['percent-encoded ../', '/aep-models/%2e%2e%2f%2e%2e%2fescape-target'],
    ['encoded slashes', '/aep-models/..%2f..%2f..%2fescape-target'],
    ['an encoded NUL', '/aep-models/nul%00byte'],
    ['an absolute path after the bucket', '/aep-models//etc/passwd'],
  ])('an unsigned PUT with %s writes an object, never a file outside the data dir', async (_label, path) => {
    const response = await raw('PUT', path, { 'content-type': 'text/plain' }, 'overwritten?');
    expect(response.status).toBe(200);
    expectNothingEscaped();
    // And reading that same path back serves the object just written, not a file of the host.
    const back = await raw('GET', path);
    expect({ status: back.status, body: back.body }).toEqual({ status: 200, body: 'overwritten?' });
    await raw('DELETE', path);
  });

  test.each([
    ['a bucket of ../..', '/..%2f..%2fetc/passwd'],
    ['a bucket named ..', '/../../etc/passwd'],
    ['a bucket with a NUL', '/aep%00models/key'],
    ['malformed percent-encoding', '/aep-models/%E0%A4%A'],
  ])('%s gets an S3 error document, and nothing is written', async (_label, path) => {
    const response = await raw('PUT', path, {}, 'x');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expectS3Error(response, response.status, /<Code>([^<]*)<\/Code>/.exec(response.body)?.[1] ?? '(no code)');
    expectNothingEscaped();
  });

  test('on disk, objects are files named by hashes: no key text ever becomes a file name', () => {
    for (const file of filesUnder(join(dataDir, 's3', 'objects'))) {
      expect(file).toMatch(/^aep-[a-z]+\/[0-9a-f]{64}(\.json|\.[0-9a-f-]{36}\.data)$/);
    }
  });
});

describe('oversized requests', () => {
  test('a JSON-protocol body over 16 MiB: 413 RequestEntityTooLarge', async () => {
    const response = await raw(
      'POST',
      '/',
      { 'x-amz-target': 'SageMaker.CreateModel', 'content-type': 'application/x-amz-json-1.1' },
      Buffer.alloc(17 * 1024 * 1024, 0x20),
    );
    expectJsonError(response, 413, 'RequestEntityTooLarge');
  });

  test('an S3 XML body over 2 MiB (DeleteObjects): MaxMessageLengthExceeded', async () => {
    const body = `<Delete>${'<Object><Key>k</Key></Object>'.repeat(80_000)}</Delete>`;
    // With the Content-MD5 DeleteObjects requires, so the size is what gets refused.
    const md5 = createHash('md5').update(body).digest('base64');
    const response = await raw('POST', '/aep-models?delete', { 'content-type': 'application/xml', 'content-md5': md5 }, body);
    expectS3Error(response, 400, 'MaxMessageLengthExceeded');
  });

  test('a PutObject announcing more than 5 GiB: EntityTooLarge before any byte is stored', async () => {
    const answer = await rawSocket(
      `PUT /aep-models/huge HTTP/1.1\r\nHost: ${new URL(t.aws.url).host}\r\nAuthorization: ${SIGV4_S3}\r\nContent-Length: ${6 * 1024 ** 3}\r\nConnection: close\r\n\r\nsome bytes`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('<Code>EntityTooLarge</Code>');
    const listed = await t.clients.s3.send(new ListObjectsV2Command({ Bucket: 'aep-models', Prefix: 'huge' }));
    expect(listed.KeyCount).toBe(0);
    expect(readdirSync(join(dataDir, 's3', 'tmp'))).toEqual([]);
  });

  test('a fault rule over 64 KiB on the admin route: a JSON error', async () => {
    const response = await raw('POST', '/_aep/faults', { 'content-type': 'application/json' }, `{"service":"${'s'.repeat(100_000)}"}`);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ __type: expect.any(String), message: expect.any(String) });
  });
});

describe('malformed documents', () => {
  const json = (target: string, body: string) =>
    raw('POST', '/', { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' }, body);

  test.each([
    ['truncated JSON', '{"ModelName":'],
    ['a JSON array', '[]'],
    ['a JSON string', '"CreateModel"'],
    ['not UTF-8 JSON', '\u00ff\u00fe{'],
    ['200,000 nested arrays', '['.repeat(200_000)],
  ])('SageMaker with %s: SerializationException', async (_label, body) => {
    expectJsonError(await json('SageMaker.CreateModel', body), 400, 'SerializationException');
  });

  test('Step Functions with a malformed body: SerializationException; wrong types: an AWS validation error', async () => {
    expectJsonError(await json('AWSStepFunctions.StartExecution', '{"stateMachineArn": '), 400, 'SerializationException');
    const wrongTypes = await json('AWSStepFunctions.StartExecution', '{"stateMachineArn": 5, "input": {"a": 1}}');
    expect(wrongTypes.status).toBe(400);
    expect(JSON.parse(wrongTypes.body).__type).toMatch(/Validation|Serialization|InvalidArn/);
  });

  test('an unknown operation: UnknownOperationException', async () => {
    expectJsonError(await json('SageMaker.DropEverything', '{}'), 400, 'UnknownOperationException');
  });

  test.each([
    ['unclosed elements (DeleteObjects)', '/aep-models?delete', '<Delete><Object><Key>a</Key></Delete>'],
    ['text that is not XML (DeleteObjects)', '/aep-models?delete', 'delete everything'],
    [
      'entity expansion, "billion laughs" (DeleteObjects)',
      '/aep-models?delete',
      `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]><Delete><Object><Key>&g;</Key></Object></Delete>`,
    ],
  ])('S3 with %s: MalformedXML or an S3 error, never a crash', async (_label, path, body) => {
    const response = await raw('POST', path, { 'content-type': 'application/xml' }, body);
    expect(response.status).toBe(400);
    expectS3Error(response, 400, /<Code>([^<]*)<\/Code>/.exec(response.body)?.[1] ?? '(no code)');
    expect(response.body).toMatch(/<Code>(MalformedXML|InvalidArgument|InvalidRequest)<\/Code>/);
  });

  test('CompleteMultipartUpload with garbage XML: MalformedXML (or NoSuchUpload for the made-up id)', async () => {
    const response = await raw('POST', '/aep-models/k?uploadId=made-up', { 'content-type': 'application/xml' }, '<CompleteMultipartUpload><Part>');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.body).toMatch(/<Code>(MalformedXML|NoSuchUpload)<\/Code>/);
  });
});

/** The sentinel next to the data dir is intact, and nothing but the data dir and it exists in their parent. */
function expectNothingEscaped(): void {
  expect(readFileSync(sentinel, 'utf8')).toBe(SENTINEL_TEXT);
  expect(readdirSync(parent).sort()).toEqual(['data', 'escape-target']);
  expect(existsSync('/tmp/aep-attack-escape')).toBe(false);
  for (const file of filesUnder(dataDir)) expect(file).not.toMatch(/escape|passwd|nul.byte|double/);
}
