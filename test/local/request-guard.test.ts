import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { ADMIN_TOKEN_FILE, readAdminToken } from '../../local/admin-token';
import { ADMIN_TOKEN_HEADER, isLoopbackHost, RequestGuard } from '../../local/request-guard';
import { startTestAws, type TestAws } from '../helpers/embedded';
import { awsChildEnv } from '../helpers/local-aws';

/**
 * A web page the developer has open must not drive the embedded AWS (request-guard.ts): the attacks a page can make
 * — DNS rebinding, simple cross-origin requests, form posts — are refused, while the real clients (SDK v3, the AWS
 * CLI, boto3, presigned URLs, curl with the admin token) keep working unchanged.
 */

const run = promisify(execFile);
let t: TestAws;
let port: number;
let home: string;

beforeAll(async () => {
  t = await startTestAws();
  port = Number(new URL(t.aws.url).port);
  home = mkdtempSync(join(tmpdir(), 'aep-guard-cli-'));
}, 60_000);

afterAll(async () => {
  await t?.stop();
  rmSync(home, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request exactly as a browser (or curl) would send it: every header given, nothing added but Content-Length. */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const own = () => `127.0.0.1:${port}`;
const SIGV4 = (service: string) => `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`;
const code = (body: string) => /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? (JSON.parse(body) as { __type?: string }).__type;

async function executionCount(): Promise<number> {
  const listed = await t.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: t.aws.names.stateMachineArn }));
  return listed.executions?.length ?? 0;
}

async function deploymentEventsTopicMessages(): Promise<number> {
  return t.aws.services.sns.messages(t.aws.names.deploymentEventsTopicArn).length;
}

describe('attacks a web page can make', () => {
  test('DNS rebinding: a signed-looking StartExecution with Host attacker.example is refused; nothing starts', async () => {
    const before = await executionCount();
    const body = JSON.stringify({ stateMachineArn: t.aws.names.stateMachineArn, input: '{"environment":{"NODE_OPTIONS":"--require /tmp/x"}}' });
    const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution', authorization: SIGV4('states') };
    const refused = await send('POST', '/', { ...headers, host: `attacker.example:${port}` }, body);
    expect({ status: refused.status, code: code(refused.body) }).toEqual({ status: 403, code: 'InvalidHostHeader' });
    expect(await executionCount()).toBe(before);
    // and S3 listing through a rebound name
    const listing = await send('GET', '/', { host: `attacker.example:${port}`, authorization: SIGV4('s3') });
    expect({ status: listing.status, code: code(listing.body) }).toEqual({ status: 403, code: 'InvalidHostHeader' });
    expect(listing.body).not.toContain('aep-models');
  });

  test.each([
    ['another name', 'attacker.example'],
    ['a loopback name on another port', '127.0.0.1:1'],
    ['a rebound name on our port', 'attacker.example:PORT'],
    ['a look-alike', 'localhost.attacker.example'],
    ['an IP that is not loopback', '192.168.1.10:PORT'],
  ])('Host of %s is refused', async (_label, host) => {
    const response = await send('GET', '/', { host: host.replace('PORT', String(port)), authorization: SIGV4('s3') });
    expect({ status: response.status, code: code(response.body) }).toEqual({ status: 403, code: 'InvalidHostHeader' });
  });

  test('no Host at all is refused (by Node itself: HTTP/1.1 requires it)', async () => {
    expect((await send('GET', '/', { authorization: SIGV4('s3') })).status).toBe(400);
  });

  test('a text/plain cross-origin POST to the admin faults route is refused; no rule is added', async () => {
    const rule = JSON.stringify({ service: 's3', error: { code: 'InternalError', status: 500 } });
    const refused = await send('POST', '/_aep/faults', { host: own(), origin: 'http://attacker.example', 'content-type': 'text/plain' }, rule);
    expect({ status: refused.status, code: code(refused.body) }).toEqual({ status: 403, code: 'CrossOriginRequestRefused' });
    // even with no Origin (an old browser, a same-machine script without the token): the token is missing
    const noToken = await send('POST', '/_aep/faults', { host: own(), 'content-type': 'text/plain' }, rule);
    expect({ status: noToken.status, code: code(noToken.body) }).toEqual({ status: 403, code: 'AccessDenied' });
    expect(noToken.body).toContain(ADMIN_TOKEN_HEADER);
    expect(t.aws.faults.list()).toEqual([]);
  });

  test('a form POST with ?Action=Publish is refused, with or without Origin; nothing is published', async () => {
    const before = await deploymentEventsTopicMessages();
    const form = `Action=Publish&TopicArn=${encodeURIComponent(t.aws.names.deploymentEventsTopicArn)}&Message=forged`;
    const headers = { host: own(), 'content-type': 'application/x-www-form-urlencoded' };
    const withOrigin = await send('POST', `/?${form}`, { ...headers, origin: 'http://attacker.example' }, form);
    expect({ status: withOrigin.status, code: code(withOrigin.body) }).toEqual({ status: 403, code: 'CrossOriginRequestRefused' });
    const withoutOrigin = await send('POST', `/?${form}`, headers, form);
    expect(withoutOrigin.status).toBe(403);
    expect(code(withoutOrigin.body)).toMatch(/^(MissingAuthenticationToken|AccessDenied)$/);
    expect(await deploymentEventsTopicMessages()).toBe(before);
  });

  test('Origin null, a same-site page on another port, and cross-site fetch metadata are refused', async () => {
    const marks: Record<string, string>[] = [
      { origin: 'null' },
      { origin: `http://localhost:${port + 1}` },
      { origin: `https://127.0.0.1:${port}` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const extra of marks) {
      const response = await send('GET', '/', { host: own(), authorization: SIGV4('s3'), ...extra });
      expect({ extra, status: response.status, code: code(response.body) }).toEqual({ extra, status: 403, code: 'CrossOriginRequestRefused' });
    }
  });

  test('a CORS preflight is refused and no CORS header is ever sent', async () => {
    const preflight = await send('OPTIONS', '/aep-models', {
      host: own(),
      origin: 'http://attacker.example',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'authorization,x-amz-date',
    });
    expect(preflight.status).toBe(403);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  test('an unsigned S3 GET (an <img> or a plain link) is AccessDenied: the API needs the AWS request shape', async () => {
    await t.clients.s3.send(new PutObjectCommand({ Bucket: 'aep-models', Key: 'guard/secret.txt', Body: 'secret' }));
    const response = await send('GET', '/aep-models/guard/secret.txt', { host: own() });
    expect({ status: response.status, code: code(response.body) }).toEqual({ status: 403, code: 'AccessDenied' });
    expect(response.body).not.toContain('secret</');
  });
});

describe('what keeps working', () => {
  test('an SDK-shaped request from this server own origin, under every loopback name', async () => {
    for (const host of [own(), `localhost:${port}`, `[::1]:${port}`, 'localhost', `aep-models.localhost:${port}`]) {
      const response = await send('GET', '/', { host, origin: `http://${own()}`, authorization: SIGV4('s3') });
      expect({ host, status: response.status }).toEqual({ host, status: 200 });
    }
  });

  test('the admin routes with the token (curl-style), the open health route without', async () => {
    const token = readAdminToken(t.dataDir);
    expect(token).toBe(t.aws.adminToken);
    expect(statSync(join(t.dataDir, ADMIN_TOKEN_FILE)).mode & 0o777).toBe(0o600);
    const { stdout } = await run('curl', ['-sS', '-H', `${ADMIN_TOKEN_HEADER}: ${token}`, `${t.aws.url}/_aep/faults`]);
    expect(JSON.parse(stdout)).toEqual({ rules: [] });
    const health = await send('GET', '/_aep/health', { host: own() });
    expect(health.status).toBe(200);
    const wrong = await send('GET', '/_aep/faults', { host: own(), [ADMIN_TOKEN_HEADER]: `${token.slice(1)}x` });
    expect(wrong.status).toBe(403);
  });

  test('the AWS CLI (s3, sns, stepfunctions) and an `aws s3 presign` URL fetched with curl', async () => {
    const cli = async (...args: string[]) =>
      (await run('aws', ['--endpoint-url', t.aws.url, '--output', 'json', ...args], { env: awsChildEnv(home) })).stdout;
    await cli('s3api', 'put-object', '--bucket', 'aep-models', '--key', 'guard/cli.txt', '--body', '/etc/hostname');
    expect(await cli('s3', 'ls', 's3://aep-models/guard/')).toContain('cli.txt');
    expect(JSON.parse(await cli('sns', 'list-topics')).Topics.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(await cli('stepfunctions', 'list-state-machines')).stateMachines[0].stateMachineArn).toBe(t.aws.names.stateMachineArn);
    const url = (await cli('s3', 'presign', 's3://aep-models/guard/cli.txt', '--expires-in', '60')).trim();
    const { stdout } = await run('curl', ['-sS', '--fail', url]);
    expect(stdout).toBe(readFileSync('/etc/hostname', 'utf8'));
  }, 120_000);

  test('boto3: a client call and a presigned GET', async () => {
    const script = `
import boto3, urllib.request
s3 = boto3.client("s3", endpoint_url="${t.aws.url}")
s3.put_object(Bucket="aep-models", Key="guard/boto.txt", Body=b"from boto3")
url = s3.generate_presigned_url("get_object", Params={"Bucket": "aep-models", "Key": "guard/boto.txt"}, ExpiresIn=60)
print(urllib.request.urlopen(url).read().decode())
`;
    const { stdout } = await run('python3', ['-c', script], { env: awsChildEnv(home) });
    expect(stdout.trim()).toBe('from boto3');
  }, 60_000);
});

describe('RequestGuard', () => {
  const guard = new RequestGuard('token-123');
  guard.allowBrowserRoute('/_aep/console/');
  const req = (method: string, headers: Record<string, string>) => ({ method, headers }) as unknown as IncomingMessage;
  const check = (path: string, headers: Record<string, string>, method = 'GET') =>
    guard.refusal(req(method, { host: '127.0.0.1:4566', ...headers }), new URL(path, 'http://127.0.0.1'), 4566, undefined)?.code;

  test('a console route opts in to same-origin browser requests: no token, no AWS shape; foreign origins still refused', () => {
    expect(guard.access('/_aep/console/executions')).toBe('browser');
    expect(guard.access('/_aep/console')).toBe('browser');
    expect(guard.access('/_aep/consoles')).toBe('admin');
    expect(check('/_aep/console/', { 'sec-fetch-site': 'none' })).toBeUndefined();
    expect(check('/_aep/console/api/x', { origin: 'http://localhost:4566', 'sec-fetch-site': 'same-origin' }, 'POST')).toBeUndefined();
    expect(check('/_aep/console/', { origin: 'http://attacker.example' })).toBe('CrossOriginRequestRefused');
    expect(check('/_aep/console/', { host: 'attacker.example:4566' })).toBe('InvalidHostHeader');
    expect(() => guard.allowBrowserRoute('/bucket/')).toThrow(/under \/_aep\//);
  });

  test('every other /_aep/ route is admin; an API call needs SigV4, a presigned query or an X-Amz-* header', () => {
    expect(check('/_aep/sns/messages', {})).toBe('AccessDenied');
    expect(check('/_aep/sns/messages', { [ADMIN_TOKEN_HEADER]: 'token-123' })).toBeUndefined();
    expect(check('/', {})).toBe('MissingAuthenticationTokenException');
    expect(check('/', { authorization: 'Basic abc' })).toBe('MissingAuthenticationTokenException');
    expect(check('/', { authorization: SIGV4('sagemaker') })).toBeUndefined();
    expect(check('/', { 'x-amz-target': 'SageMaker.ListModels' })).toBeUndefined();
    expect(check('/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Signature=0', {})).toBeUndefined();
  });

  test('loopback hosts', () => {
    expect(['127.0.0.1:4566', 'LOCALHOST:4566', '[::1]:4566', 'localhost', 'b.s3.localhost:4566'].map((h) => isLoopbackHost(h, 4566))).toEqual([true, true, true, true, true]);
    expect(['127.0.0.2:4566', '[::1]:80', 'localhost.evil', 'evil.com:4566', '', '127.0.0.1:4566:1'].map((h) => isLoopbackHost(h, 4566))).toEqual([false, false, false, false, false, false]);
  });
});
