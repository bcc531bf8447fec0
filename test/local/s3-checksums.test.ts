import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, S3Client, S3ServiceException, UploadPartCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createChecksum, type ChecksumAlgorithm } from '../../local/protocols/checksums';
import { createS3Service, type S3Service } from '../../local/s3/service';
import { awsChildEnv, localClientConfig, startLocalAws, type LocalAws } from '../helpers/local-aws';

/** S3's multipart checksums (COMPOSITE and FULL_OBJECT) and checksum trailers, driven by boto3, the AWS CLI, the SDK v3 and raw requests. */
const run = promisify(execFile);
let aws: LocalAws;
let s3: S3Service;
let sdk: S3Client;
let work: string;

beforeAll(async () => {
  aws = await startLocalAws((dataDir) => [(s3 = createS3Service({ dataDir }))]);
  await s3.ensureBucket('sums');
  sdk = new S3Client(localClientConfig(aws.url));
  work = mkdtempSync(join(tmpdir(), 'aep-s3-sums-'));
});
afterAll(async () => {
  sdk.destroy();
  await aws.close();
  rmSync(work, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const cli = async (...args: string[]) =>
  (await run('aws', ['--endpoint-url', aws.url, ...args], { env: awsChildEnv(work), maxBuffer: 16 * 1024 * 1024 })).stdout;
const boto3 = async (body: string) => {
  const script = [
    'import base64, boto3, hashlib, json, sys, zlib',
    'from botocore.exceptions import ClientError',
    "s3 = boto3.client('s3', endpoint_url=sys.argv[1])",
    'def error(call):',
    '    try:',
    '        call()',
    "        return 'succeeded'",
    '    except ClientError as e:',
    "        return [e.response['Error']['Code'], e.response['Error'].get('Message')]",
    body,
  ].join('\n');
  const { stdout } = await run('python3', ['-c', script, aws.url], { env: awsChildEnv(work), maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout);
};
const digest = (algorithm: ChecksumAlgorithm, ...chunks: Buffer[]) => {
  const checksum = createChecksum(algorithm);
  for (const chunk of chunks) checksum.update(chunk);
  return checksum.digestBase64();
};
/** S3's COMPOSITE value: the checksum of the binary part checksums, then the part count. */
const composite = (algorithm: ChecksumAlgorithm, parts: Buffer[]) =>
  `${digest(algorithm, ...parts.map((p) => Buffer.from(digest(algorithm, p), 'base64')))}-${parts.length}`;

async function failure(promise: Promise<unknown>): Promise<[string, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return [error.name, error.message];
    throw error;
  }
  return ['succeeded', ''];
}

/** What an SDK's Authorization header looks like to the embedded AWS (it checks the shape, not the signature). */
const SIGV4_S3 = 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0';
async function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; code?: string; message?: string }> {
  const response = await fetch(`${aws.url}${path}`, { method, headers: { authorization: SIGV4_S3, ...headers }, body });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] };
}

test('boto3 COMPOSITE CRC32 and SHA256: part checksums required on Complete, -N value, GET/HEAD and partNumber return it, a copy is FULL_OBJECT', async () => {
  const part1 = Buffer.alloc(5 * MiB, 'a');
  const part2 = Buffer.from('the last part');
  const out = await boto3(`
p1, p2 = b'a' * (5 * 1024 * 1024), b'the last part'
result = {}
for algorithm in ['CRC32', 'SHA256']:
    key = f'composite/{algorithm}'
    up = s3.create_multipart_upload(Bucket='sums', Key=key, ChecksumAlgorithm=algorithm)
    upload_id = up['UploadId']
    parts = []
    for number, body in [(1, p1), (2, p2)]:
        r = s3.upload_part(Bucket='sums', Key=key, UploadId=upload_id, PartNumber=number, Body=body, ChecksumAlgorithm=algorithm)
        parts.append({'PartNumber': number, 'ETag': r['ETag'], f'Checksum{algorithm}': r[f'Checksum{algorithm}']})
    listed = s3.list_parts(Bucket='sums', Key=key, UploadId=upload_id)
    bare = [{'PartNumber': p['PartNumber'], 'ETag': p['ETag']} for p in parts]
    wrong = [dict(p, **{f'Checksum{algorithm}': parts[0][f'Checksum{algorithm}']}) for p in parts]
    other = 'SHA1' if algorithm == 'CRC32' else 'CRC32'
    complete = lambda ps, **kw: s3.complete_multipart_upload(Bucket='sums', Key=key, UploadId=upload_id, MultipartUpload={'Parts': ps}, **kw)
    errors = {
        'noPartChecksums': error(lambda: complete(bare)),
        'wrongPartChecksum': error(lambda: complete(wrong)),
        'otherAlgorithm': error(lambda: complete([{'PartNumber': p['PartNumber'], 'ETag': p['ETag'], f'Checksum{other}': 'AAAAAA=='} for p in parts])),
        'wrongMode': error(lambda: complete(parts, ChecksumType='FULL_OBJECT')),
    }
    done = complete(parts)
    get = s3.get_object(Bucket='sums', Key=key, ChecksumMode='ENABLED')
    get['Body'].read()
    head = s3.head_object(Bucket='sums', Key=key, ChecksumMode='ENABLED')
    second = s3.head_object(Bucket='sums', Key=key, ChecksumMode='ENABLED', PartNumber=2)
    copied = s3.copy_object(Bucket='sums', Key=f'{key}.copy', CopySource={'Bucket': 'sums', 'Key': key})['CopyObjectResult']
    result[algorithm] = {
        'created': [up.get('ChecksumAlgorithm'), up.get('ChecksumType')],
        'listed': [listed.get('ChecksumType'), [p.get(f'Checksum{algorithm}') for p in listed['Parts']]],
        'parts': [p[f'Checksum{algorithm}'] for p in parts],
        'errors': errors,
        'complete': [done.get(f'Checksum{algorithm}'), done.get('ChecksumType')],
        'get': [get.get(f'Checksum{algorithm}'), get.get('ChecksumType')],
        'head': [head.get(f'Checksum{algorithm}'), head.get('ChecksumType')],
        'part2': [second.get(f'Checksum{algorithm}'), second.get('ChecksumType'), second.get('PartsCount')],
        'copy': [copied.get(f'Checksum{algorithm}'), copied.get('ChecksumType')],
    }
print(json.dumps(result))
`);
  for (const algorithm of ['CRC32', 'SHA256'] as const) {
    const lower = algorithm.toLowerCase();
    const value = composite(algorithm, [part1, part2]);
    const parts = [digest(algorithm, part1), digest(algorithm, part2)];
    expect(out[algorithm]).toEqual({
      created: [algorithm, 'COMPOSITE'],
      listed: ['COMPOSITE', parts],
      parts,
      errors: {
        noPartChecksums: [
          'InvalidRequest',
          `The upload was created using a ${lower} checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.`,
        ],
        wrongPartChecksum: ['InvalidPart', expect.stringContaining('One or more of the specified parts could not be found.')],
        otherAlgorithm: ['BadDigest', `The ${algorithm === 'CRC32' ? 'sha1' : 'crc32'} you specified for part 1 did not match what we received.`],
        wrongMode: ['InvalidRequest', 'The upload was created using the COMPOSITE checksum mode. The complete request must use the same checksum mode.'],
      },
      complete: [value, 'COMPOSITE'],
      get: [value, 'COMPOSITE'],
      head: [value, 'COMPOSITE'],
      part2: [parts[1], 'COMPOSITE', 2],
      // A copy is one PUT: the same algorithm over the whole object.
      copy: [digest(algorithm, part1, part2), 'FULL_OBJECT'],
    });
  }
}, 120_000);

test('SDK v3 FULL_OBJECT CRC32C and CRC64NVME: the whole object CRC, checked when sent with the type, verified by the SDK on GET', async () => {
  const part1 = randomBytes(5 * MiB);
  const part2 = randomBytes(1000);
  for (const algorithm of ['CRC32C', 'CRC64NVME'] as const) {
    const Key = `full/${algorithm}`;
    const created = await sdk.send(new CreateMultipartUploadCommand({ Bucket: 'sums', Key, ChecksumAlgorithm: algorithm, ...(algorithm === 'CRC32C' ? { ChecksumType: 'FULL_OBJECT' } : {}) }));
    expect([created.ChecksumAlgorithm, created.ChecksumType]).toEqual([algorithm, 'FULL_OBJECT']);
    const Parts: Array<{ PartNumber: number; ETag?: string }> = [];
    for (const [index, Body] of [part1, part2].entries()) {
      const out = await sdk.send(new UploadPartCommand({ Bucket: 'sums', Key, UploadId: created.UploadId, PartNumber: index + 1, Body, ChecksumAlgorithm: algorithm }));
      Parts.push({ PartNumber: index + 1, ETag: out.ETag });
    }
    const whole = digest(algorithm, part1, part2);
    const field = `Checksum${algorithm}` as const;
    const complete = (extra: Record<string, string>) =>
      sdk.send(new CompleteMultipartUploadCommand({ Bucket: 'sums', Key, UploadId: created.UploadId, MultipartUpload: { Parts }, ...extra }));
    const badDigest = ['BadDigest', `The ${algorithm.toLowerCase()} you specified did not match the calculated checksum.`];
    expect(await failure(complete({ [field]: digest(algorithm, part1), ChecksumType: 'FULL_OBJECT' }))).toEqual(badDigest);
    // S3 takes a full-object value only with the type that says so.
    expect(await failure(complete({ [field]: whole }))).toEqual(badDigest);
    expect(await failure(complete({ ChecksumSHA256: digest('SHA256', part1, part2), ChecksumType: 'FULL_OBJECT' }))).toEqual(badDigest);
    const done = await sdk.send(
      new CompleteMultipartUploadCommand({ Bucket: 'sums', Key, UploadId: created.UploadId, MultipartUpload: { Parts }, [field]: whole, ChecksumType: 'FULL_OBJECT' }),
    );
    expect([done[field], done.ChecksumType]).toEqual([whole, 'FULL_OBJECT']);
    const got = await sdk.send(new GetObjectCommand({ Bucket: 'sums', Key, ChecksumMode: 'ENABLED' }));
    expect([got[field], got.ChecksumType]).toEqual([whole, 'FULL_OBJECT']);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([part1, part2]))).toBe(true);
  }
}, 120_000);

test('CreateMultipartUpload refuses the algorithm/type pairs S3 refuses; UploadPart refuses another algorithm; no algorithm ends with CRC64NVME', async () => {
  const create = (extra: Record<string, string>) => sdk.send(new CreateMultipartUploadCommand({ Bucket: 'sums', Key: 'pairs', ...extra }));
  expect(await failure(create({ ChecksumAlgorithm: 'SHA256', ChecksumType: 'FULL_OBJECT' }))).toEqual([
    'InvalidRequest',
    'The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.',
  ]);
  expect(await failure(create({ ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' }))).toEqual([
    'InvalidRequest',
    'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.',
  ]);
  expect(await failure(create({ ChecksumType: 'COMPOSITE' }))).toEqual([
    'InvalidRequest',
    'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.',
  ]);
  const sha = await create({ ChecksumAlgorithm: 'SHA1' });
  expect(await failure(sdk.send(new UploadPartCommand({ Bucket: 'sums', Key: 'pairs', UploadId: sha.UploadId, PartNumber: 1, Body: 'x', ChecksumAlgorithm: 'CRC32' })))).toEqual([
    'InvalidRequest',
    'Checksum Type mismatch occurred, expected checksum Type: sha1, actual checksum Type: crc32',
  ]);
  const plain = await create({});
  const part = await sdk.send(new UploadPartCommand({ Bucket: 'sums', Key: 'pairs', UploadId: plain.UploadId, PartNumber: 1, Body: 'only part', ChecksumAlgorithm: 'CRC32' }));
  const complete = (Parts: Array<Record<string, unknown>>) =>
    sdk.send(new CompleteMultipartUploadCommand({ Bucket: 'sums', Key: 'pairs', UploadId: plain.UploadId, MultipartUpload: { Parts } }));
  // An upload without an algorithm has no part checksums to list.
  expect((await failure(complete([{ PartNumber: 1, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 }])))[0]).toBe('InvalidPart');
  const done = await complete([{ PartNumber: 1, ETag: part.ETag }]);
  expect([done.ChecksumCRC64NVME, done.ChecksumType]).toEqual([digest('CRC64NVME', Buffer.from('only part')), 'FULL_OBJECT']);
});

test('aws s3 cp of a 12 MB file with --checksum-algorithm CRC32 and SHA256; head-object --checksum-mode ENABLED', async () => {
  const bytes = randomBytes(12 * MiB);
  writeFileSync(join(work, 'big.bin'), bytes);
  for (const algorithm of ['CRC32', 'SHA256'] as const) {
    await cli('s3', 'cp', join(work, 'big.bin'), `s3://sums/cli/${algorithm}.bin`, '--checksum-algorithm', algorithm);
    const head = JSON.parse(await cli('s3api', 'head-object', '--bucket', 'sums', '--key', `cli/${algorithm}.bin`, '--checksum-mode', 'ENABLED'));
    // The CLI cuts 8 MiB parts: two of them, the COMPOSITE checksum of their checksums.
    expect([head.ContentLength, head[`Checksum${algorithm}`], head.ChecksumType]).toEqual([
      bytes.length,
      composite(algorithm, [bytes.subarray(0, 8 * MiB), bytes.subarray(8 * MiB)]),
      'COMPOSITE',
    ]);
  }
}, 180_000);

test('malformed checksum values on UploadPart and CompleteMultipartUpload: InvalidRequest naming the header', async () => {
  const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: 'sums', Key: 'malformed', ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }));
  const invalid = { status: 400, code: 'InvalidRequest', message: 'Value for x-amz-checksum-crc32 header is invalid.' };
  for (const value of ['not base64!', 'AAAAAAAA', '']) {
    expect(await raw('PUT', `/sums/malformed?partNumber=1&uploadId=${UploadId}`, { 'x-amz-checksum-crc32': value }, 'body')).toEqual(invalid);
  }
  const part = await sdk.send(new UploadPartCommand({ Bucket: 'sums', Key: 'malformed', UploadId, PartNumber: 1, Body: 'body', ChecksumAlgorithm: 'CRC32' }));
  const xml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.ETag}</ETag></Part></CompleteMultipartUpload>`;
  expect(await raw('POST', `/sums/malformed?uploadId=${UploadId}`, { 'x-amz-checksum-crc32': 'AAAA', 'x-amz-checksum-type': 'FULL_OBJECT' }, xml)).toEqual(invalid);
  const composite = await sdk.send(new CreateMultipartUploadCommand({ Bucket: 'sums', Key: 'malformed-c', ChecksumAlgorithm: 'SHA1' }));
  const shaPart = await sdk.send(new UploadPartCommand({ Bucket: 'sums', Key: 'malformed-c', UploadId: composite.UploadId, PartNumber: 1, Body: 'x', ChecksumAlgorithm: 'SHA1' }));
  const listed = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${shaPart.ETag}</ETag><ChecksumSHA1>${shaPart.ChecksumSHA1}</ChecksumSHA1></Part></CompleteMultipartUpload>`;
  expect(await raw('POST', `/sums/malformed-c?uploadId=${composite.UploadId}`, { 'x-amz-checksum-sha1': 'zz-1' }, listed)).toEqual({
    status: 400,
    code: 'InvalidRequest',
    message: 'Value for x-amz-checksum-sha1 header is invalid.',
  });
  // A malformed part checksum in the list matches no part.
  const malformedPart = listed.replace(shaPart.ChecksumSHA1!, 'not-a-checksum');
  expect(await raw('POST', `/sums/malformed-c?uploadId=${composite.UploadId}`, {}, malformedPart)).toMatchObject({ status: 400, code: 'InvalidPart' });
  expect(s3.headObject('sums', 'malformed')).toBeUndefined();
  expect(s3.headObject('sums', 'malformed-c')).toBeUndefined();
});

test('a checksum announced in x-amz-trailer but never sent fails the upload (MalformedTrailerError); so does one sent unannounced', async () => {
  const chunked = (trailer: string) => `5\r\nhello\r\n0\r\n${trailer}\r\n`;
  const headers = (extra: Record<string, string>) => ({
    'content-encoding': 'aws-chunked',
    'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    'x-amz-decoded-content-length': '5',
    ...extra,
  });
  const malformed = {
    status: 400,
    code: 'MalformedTrailerError',
    message: 'The request contained trailing data that was not well-formed or did not conform to our published schema.',
  };
  expect(await raw('PUT', '/sums/trailer/missing', headers({ 'x-amz-trailer': 'x-amz-checksum-crc32' }), chunked(''))).toEqual(malformed);
  const crc = digest('CRC32', Buffer.from('hello'));
  expect(await raw('PUT', '/sums/trailer/unannounced', headers({}), chunked(`x-amz-checksum-crc32:${crc}\r\n`))).toEqual(malformed);
  expect(await raw('PUT', '/sums/trailer/other', headers({ 'x-amz-trailer': 'x-amz-checksum-crc32' }), chunked(`x-amz-checksum-sha1:${digest('SHA1', Buffer.from('hello'))}\r\n`))).toEqual(
    malformed,
  );
  expect(await raw('PUT', '/sums/trailer/unsupported', headers({ 'x-amz-trailer': 'x-amz-meta-color' }), chunked('x-amz-meta-color:red\r\n'))).toEqual({
    status: 400,
    code: 'InvalidRequest',
    message: 'The value specified in the x-amz-trailer header is not supported',
  });
  const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: 'sums', Key: 'trailer/part' }));
  expect(await raw('PUT', `/sums/trailer/part?partNumber=1&uploadId=${UploadId}`, headers({ 'x-amz-trailer': 'x-amz-checksum-crc32' }), chunked(''))).toEqual(malformed);
  for (const key of ['missing', 'unannounced', 'other', 'unsupported']) expect(s3.headObject('sums', `trailer/${key}`)).toBeUndefined();
  // Announced and sent: stored, with the checksum.
  expect(await raw('PUT', '/sums/trailer/sent', headers({ 'x-amz-trailer': 'x-amz-checksum-crc32' }), chunked(`x-amz-checksum-crc32:${crc}\r\n`))).toMatchObject({ status: 200 });
  expect(s3.headObject('sums', 'trailer/sent')?.checksum).toEqual({ algorithm: 'CRC32', value: crc, type: 'FULL_OBJECT' });
});
