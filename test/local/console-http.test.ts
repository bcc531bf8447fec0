import { request } from 'node:http';
import { startTestAws, type TestAws } from '../helpers/embedded';

/**
 * The console's HTTP rules, without a browser: served to its own loopback origin only, read-only, with headers that
 * keep other pages from framing or scripting it; its JSON comes from the services.
 */

let t: TestAws;
let port: string;

beforeAll(async () => {
  t = await startTestAws();
  port = new URL(t.aws.url).port;
});

afterAll(async () => {
  await t?.stop();
});

function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the page, its scripts (dagre from node_modules) and the API answer their own origin', async () => {
  const page = await get('/_aep/console/');
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  expect(page.headers['x-frame-options']).toBe('DENY');
  expect(page.body).toContain('<script src="graph.js" defer></script>');

  const dagre = await get('/_aep/console/dagre.min.js', { host: `localhost:${port}` });
  expect(dagre.status).toBe(200);
  expect(dagre.body).toContain('var dagre=');
  expect(dagre.body).not.toContain('sourceMappingURL');

  const list = await get('/_aep/console/api/executions', { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' });
  expect(list.status).toBe(200);
  expect(JSON.parse(list.body)).toEqual({ executions: [] });

  expect((await get('/_aep/console')).status).toBe(308);
  expect((await get('/_aep/console/nope.js')).status).toBe(404);
  expect((await get('/_aep/console/api/execution')).status).toBe(400);
  expect(JSON.parse((await get('/_aep/console/api/execution?arn=arn:aws:states:us-east-1:000000000000:execution:aep-deploy-async-endpoint:none')).body)).toMatchObject({
    error: 'ExecutionDoesNotExist',
  });
});

test.each([
  ['a foreign Host (DNS rebinding)', { host: `attacker.example:${'PORT'}` }, 403, /attacker\.example/],
  ['a loopback Host on another port', { host: '127.0.0.1:1' }, 403, /127\.0\.0\.1:1/],
  ['another origin', { origin: 'http://attacker.example' }, 403, /http:\/\/attacker\.example/],
  ['a null origin (sandboxed page, file:)', { origin: 'null' }, 403, /null|origin/i],
  ['a cross-site fetch', { 'sec-fetch-site': 'cross-site' }, 403, /site/i],
  ['a same-site fetch from another port', { 'sec-fetch-site': 'same-site' }, 403, /site/i],
])('refuses %s', async (_what, headers, status, message) => {
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('PORT', port)]));
  for (const path of ['/_aep/console/', '/_aep/console/api/executions']) {
    const response = await get(path, h);
    expect(response.status).toBe(status);
    // The dispatcher's request guard refuses these for the console as for every route.
    expect(response.body).toMatch(message);
  }
});

test('is read-only: anything but GET/HEAD is 405', async () => {
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const response = await get('/_aep/console/api/executions', {}, method);
    expect(response.status).toBe(405);
  }
});

test('objects: only from the pipeline\'s buckets, served as inert text', async () => {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  await t.clients.s3.send(new PutObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: 'reports/x.json', Body: '<script>alert(1)</script>' }));
  const object = await get(`/_aep/console/api/object?uri=${encodeURIComponent(`s3://${t.aws.names.artifactsBucket}/reports/x.json`)}`);
  expect(object.status).toBe(200);
  expect(object.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(object.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
  expect(object.body).toBe('<script>alert(1)</script>');
  await t.clients.s3.send(new (await import('@aws-sdk/client-s3')).CreateBucketCommand({ Bucket: 'someone-elses' }));
  await t.clients.s3.send(new PutObjectCommand({ Bucket: 'someone-elses', Key: 'k', Body: 'secret' }));
  expect((await get(`/_aep/console/api/object?uri=${encodeURIComponent('s3://someone-elses/k')}`)).status).toBe(404);
  expect((await get(`/_aep/console/api/object?uri=${encodeURIComponent(`s3://${t.aws.names.artifactsBucket}/missing`)}`)).status).toBe(404);
});
