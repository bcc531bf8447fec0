import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createS3Service } from '../../local/s3/service';
import { createSnsService } from '../../local/sns/service';
import { createStsService } from '../../local/sts/service';
import { localClientConfig, startLocalAws, type LocalAws } from '../helpers/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  // S3 first on purpose: as the catch-all for unsigned requests it must still leave SNS, STS and admin routes alone.
  aws = await startLocalAws((dataDir) => [createS3Service({ dataDir }), createSnsService({ dataDir }), createStsService()]);
});
afterAll(() => aws.close());

test('one server: each SDK client reaches its own service by signing name; /_aep/ admin routes are not S3', async () => {
  const config = localClientConfig(aws.url);
  const s3 = new S3Client(config);
  const sns = new SNSClient(config);
  const sts = new STSClient(config);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'routing' }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['routing']);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'routing' }));
    await sns.send(new PublishCommand({ TopicArn, Message: 'm' }));
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('000000000000');
    const admin = await fetch(`${aws.url}/_aep/sns/messages`, { headers: aws.adminHeaders });
    expect(admin.headers.get('content-type')).toBe('application/json');
    expect(((await admin.json()) as { messages: unknown[] }).messages).toHaveLength(1);
  } finally {
    s3.destroy();
    sns.destroy();
    sts.destroy();
  }
});

test('an oversized Query request is refused in the Query error shape and the server keeps serving', async () => {
  const response = await fetch(aws.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/sns/aws4_request, Signature=x' },
    body: `Action=Publish&Message=${'x'.repeat(2 * 1024 * 1024)}`,
  });
  expect(response.status).toBe(413);
  expect(await response.text()).toMatch(/<ErrorResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/"><Error><Type>Sender<\/Type><Code>RequestEntityTooLarge<\/Code>/);
  expect((await fetch(`${aws.url}/_aep/sns/messages`, { headers: aws.adminHeaders })).status).toBe(200);
});
