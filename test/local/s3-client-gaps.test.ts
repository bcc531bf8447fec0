import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createS3Service, type S3Service } from '../../local/s3/service';
import { awsChildEnv, startLocalAws, type LocalAws } from '../helpers/local-aws';

/** What real clients (the AWS CLI, boto3) hit beyond the basics, each driven by the client itself. */
const run = promisify(execFile);
let aws: LocalAws;
let s3: S3Service;
let work: string;

beforeAll(async () => {
  aws = await startLocalAws((dataDir) => [(s3 = createS3Service({ dataDir }))]);
  await s3.ensureBucket('gaps');
  work = mkdtempSync(join(tmpdir(), 'aep-s3-gaps-'));
});
afterAll(async () => {
  await aws.close();
  rmSync(work, { recursive: true, force: true });
});

const cli = async (...args: string[]) =>
  (await run('aws', ['--endpoint-url', aws.url, ...args], { env: awsChildEnv(work), maxBuffer: 16 * 1024 * 1024 })).stdout;
const boto3 = async (body: string) => {
  const script = `import boto3, json, sys\nfrom botocore.exceptions import ClientError\ns3 = boto3.client('s3', endpoint_url=sys.argv[1])\n${body}`;
  const { stdout } = await run('python3', ['-c', script, aws.url], { env: awsChildEnv(work), maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout);
};
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

test('aws s3 cp and mv of a 20 MB object between S3 locations (UploadPartCopy), bytes identical', async () => {
  const bytes = randomBytes(20 * 1024 * 1024);
  writeFileSync(join(work, 'big.bin'), bytes);
  await cli('s3', 'cp', join(work, 'big.bin'), 's3://gaps/src/big.bin');
  await cli('s3', 'cp', 's3://gaps/src/big.bin', 's3://gaps/copy/big.bin');
  await cli('s3', 'mv', 's3://gaps/copy/big.bin', 's3://gaps/moved/big.bin');
  const head = JSON.parse(await cli('s3api', 'head-object', '--bucket', 'gaps', '--key', 'moved/big.bin'));
  expect(head.ContentLength).toBe(bytes.length);
  expect(head.ETag).toMatch(/^"[0-9a-f]{32}-\d+"$/);
  const chunks: Buffer[] = [];
  for await (const chunk of await s3.readObject('gaps', 'moved/big.bin')) chunks.push(chunk as Buffer);
  expect(md5(Buffer.concat(chunks))).toBe(md5(bytes));
  expect(s3.headObject('gaps', 'copy/big.bin')).toBeUndefined();
}, 180_000);

test('multipart: ListMultipartUploads, GET/HEAD by partNumber, CompleteMultipartUpload retried after success', async () => {
  const out = await boto3(`
part = b'a' * (5 * 1024 * 1024)
up = s3.create_multipart_upload(Bucket='gaps', Key='mp/obj')['UploadId']
other = s3.create_multipart_upload(Bucket='gaps', Key='mp/dir/x')['UploadId']
listed = s3.list_multipart_uploads(Bucket='gaps', Prefix='mp/', Delimiter='/')
e1 = s3.upload_part(Bucket='gaps', Key='mp/obj', UploadId=up, PartNumber=1, Body=part)['ETag']
e2 = s3.upload_part(Bucket='gaps', Key='mp/obj', UploadId=up, PartNumber=2, Body=b'tail')['ETag']
parts = {'Parts': [{'PartNumber': 1, 'ETag': e1}, {'PartNumber': 2, 'ETag': e2}]}
first = s3.complete_multipart_upload(Bucket='gaps', Key='mp/obj', UploadId=up, MultipartUpload=parts)
again = s3.complete_multipart_upload(Bucket='gaps', Key='mp/obj', UploadId=up, MultipartUpload=parts)
head2 = s3.head_object(Bucket='gaps', Key='mp/obj', PartNumber=2)
get2 = s3.get_object(Bucket='gaps', Key='mp/obj', PartNumber=2)
try:
    s3.head_object(Bucket='gaps', Key='mp/obj', PartNumber=3)
    bad = None
except ClientError as e:
    bad = e.response['ResponseMetadata']['HTTPStatusCode']  # a HEAD error has no body: the status is all there is
try:
    s3.get_object(Bucket='gaps', Key='mp/obj', PartNumber=3)
    bad_get = None
except ClientError as e:
    bad_get = e.response['Error']['Code']
s3.abort_multipart_upload(Bucket='gaps', Key='mp/dir/x', UploadId=other)
print(json.dumps({
  'uploads': [u['Key'] for u in listed.get('Uploads', [])], 'prefixes': [p['Prefix'] for p in listed.get('CommonPrefixes', [])],
  'etag': first['ETag'], 'again': again['ETag'],
  'partsCount': head2.get('PartsCount'), 'length': head2['ContentLength'], 'body': get2['Body'].read().decode(), 'range': get2.get('ContentRange'),
  'bad': bad, 'badGet': bad_get,
  'after': len(s3.list_multipart_uploads(Bucket='gaps').get('Uploads', [])),
}))
`);
  expect(out).toMatchObject({ uploads: ['mp/obj'], prefixes: ['mp/dir/'], partsCount: 2, length: 4, body: 'tail', bad: 416, badGet: 'InvalidPartNumber', after: 0 });
  expect(out.etag).toMatch(/-2"$/);
  expect(out.again).toBe(out.etag);
  expect(out.range).toBe(`bytes ${5 * 1024 * 1024}-${5 * 1024 * 1024 + 3}/${5 * 1024 * 1024 + 4}`);
}, 60_000);

test('buckets and listings: CreateBucket again in us-east-1, ListBuckets paging, EncodingType=url keeps "/", empty ContinuationToken, UTF-8 metadata', async () => {
  const out = await boto3(`
for name in ['gaps-b1', 'gaps-b2', 'gaps-b3']:
    s3.create_bucket(Bucket=name)
again = s3.create_bucket(Bucket='gaps-b1')['ResponseMetadata']['HTTPStatusCode']
page1 = s3.list_buckets(MaxBuckets=2, Prefix='gaps-')
page2 = s3.list_buckets(MaxBuckets=2, Prefix='gaps-', ContinuationToken=page1['ContinuationToken'])
s3.put_object(Bucket='gaps', Key='enc/a b/c.txt', Body=b'x')
listed = s3.list_objects_v2(Bucket='gaps', Prefix='enc/', Delimiter='/', EncodingType='url')
empty = s3.list_objects_v2(Bucket='gaps', Prefix='enc/', ContinuationToken='')
s3.put_object(Bucket='gaps', Key='meta', Body=b'x', Metadata={'word': '=?UTF-8?B?' + __import__('base64').b64encode('日本 é'.encode()).decode() + '?='})
meta = s3.head_object(Bucket='gaps', Key='meta')['Metadata']['word']
print(json.dumps({
  'again': again, 'page1': [b['Name'] for b in page1['Buckets']], 'page2': [b['Name'] for b in page2['Buckets']],
  'more': 'ContinuationToken' in page2,
  'prefix': listed['Prefix'], 'delimiter': listed['Delimiter'], 'common': [p['Prefix'] for p in listed['CommonPrefixes']],
  'emptyKeys': [o['Key'] for o in empty['Contents']], 'meta': meta,
}))
`);
  expect(out).toMatchObject({ again: 200, page1: ['gaps-b1', 'gaps-b2'], page2: ['gaps-b3'], more: false, prefix: 'enc/', delimiter: '/', common: ['enc/a%20b/'], emptyKeys: ['enc/a b/c.txt'] });
  expect(Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(out.meta)![1], 'base64').toString('utf8')).toBe('日本 é');
  expect(s3.headObject('gaps', 'meta')?.metadata.word).toBe('日本 é');
}, 60_000);
