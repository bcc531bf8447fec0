import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createStsService } from '../../local/sts/service';
import { awsChildEnv, localClientConfig, startLocalAws, type LocalAws } from '../helpers/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws(() => [createStsService()]);
});
afterAll(() => aws.close());

test('GetCallerIdentity names the local account root', async () => {
  const sts = new STSClient(localClientConfig(aws.url));
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  sts.destroy();
  expect(identity).toMatchObject({ Account: '000000000000', UserId: '000000000000', Arn: 'arn:aws:iam::000000000000:root' });
});

test('an unknown action is a Query-protocol error; a request without the AWS shape is refused in the Query shape', async () => {
  const unsigned = await fetch(`${aws.url}/?Action=GetCallerIdentity&Version=2011-06-15`);
  expect(unsigned.status).toBe(403);
  expect(await unsigned.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  const signed = await fetch(aws.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/sts/aws4_request, Signature=x' },
    body: 'Action=AssumeRoot&Version=2011-06-15',
  });
  expect(signed.status).toBe(400);
  const text = await signed.text();
  expect(text).toContain('<ErrorResponse');
  expect(text).toContain('<Code>InvalidAction</Code>');
});

test('aws sts get-caller-identity answers with the local account', async () => {
  const home = mkdtempSync(join(tmpdir(), 'aep-sts-cli-'));
  try {
    const { stdout } = await promisify(execFile)('aws', ['--endpoint-url', aws.url, 'sts', 'get-caller-identity'], { env: awsChildEnv(home) });
    expect(JSON.parse(stdout)).toEqual({ UserId: '000000000000', Account: '000000000000', Arn: 'arn:aws:iam::000000000000:root' });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}, 30_000);
