import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { resetClients, s3 } from '../../functions/lib/clients';
import { inProcessAgent } from '../../local/in-process-connections';
import { startTestAws, type TestAws } from '../helpers/embedded';

/**
 * The step handlers' SDK clients reach the embedded AWS in-process (no socket), through the same route as any other
 * caller: the request guard refuses what it refuses over a socket. A name that does not resolve shows which path a
 * call took: over a socket it cannot connect at all; in-process it reaches the server, whose guard refuses the Host.
 */
let t: TestAws;

beforeAll(async () => {
  t = await startTestAws({ iamTemplate: false });
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

const port = () => Number(new URL(t.aws.url).port);
const foreignHostClient = () =>
  new S3Client({
    endpoint: `http://aep-in-process.invalid:${port()}`,
    region: t.aws.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: { httpAgent: inProcessAgent },
    maxAttempts: 1,
  });

test('the step handlers’ clients answer through the in-process path', async () => {
  const listed = await s3().send(new ListBucketsCommand({}));
  expect(listed.Buckets?.map((b) => b.Name)).toContain(t.aws.names.artifactsBucket);
});

test('the step handlers’ clients use it: a call to an unresolvable name still reaches the server, and its guard refuses the Host', async () => {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = `http://aep-in-process.invalid:${port()}`;
  resetClients();
  try {
    await expect(s3().send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidHostHeader', $metadata: { httpStatusCode: 403 } });
  } finally {
    process.env.AWS_ENDPOINT_URL = endpoint;
    resetClients();
  }
});

test('an in-process request passes the same guard as a socket one: a browser origin is refused', async () => {
  const client = new S3Client({
    endpoint: t.aws.url,
    region: t.aws.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: { httpAgent: inProcessAgent },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers.origin = 'https://attacker.example';
      return next(args);
    },
    { step: 'finalizeRequest', name: 'foreignOrigin' },
  );
  try {
    await expect(client.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'CrossOriginRequestRefused', $metadata: { httpStatusCode: 403 } });
  } finally {
    client.destroy();
  }
});

test('a port no embedded AWS of this process serves is a plain socket connection', async () => {
  const client = foreignHostClient();
  try {
    await expect(client.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidHostHeader' });
  } finally {
    client.destroy();
  }
  const elsewhere = new S3Client({
    endpoint: 'http://aep-in-process.invalid:1',
    region: t.aws.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: { httpAgent: inProcessAgent },
    maxAttempts: 1,
  });
  try {
    await expect(elsewhere.send(new ListBucketsCommand({}))).rejects.toThrow(/ENOTFOUND/);
  } finally {
    elsewhere.destroy();
  }
});
