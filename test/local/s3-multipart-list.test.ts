import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { ObjectCreatedEvent } from '../../local/s3/service';
import { startEmbeddedS3 } from '../helpers/embedded-s3';

let s3: S3Client;
let created: ObjectCreatedEvent[];
let close: () => Promise<void>;

beforeAll(async () => {
  ({ s3, created, close } = await startEmbeddedS3(['mpu', 'listing']));
  const keys = ['a.txt', 'b/1.txt', 'b/2.txt', 'b/c/3.txt', 'c.txt', 'd/x', 'é.txt', '😀.txt', '\uE000.txt'];
  for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
});
afterAll(() => close());

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return `${error.name} ${error.$metadata.httpStatusCode}`;
    throw error;
  }
  return 'succeeded';
}

const MiB = 1024 * 1024;

describe('multipart upload', () => {
  test('parts assemble in order; ETag is md5-of-md5s-N; ListParts; a full-object CRC32 the SDK verifies', async () => {
    const parts = [Buffer.alloc(5 * MiB, 'a'), Buffer.alloc(5 * MiB, 'b'), Buffer.from('tail')];
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'big.bin', ContentType: 'application/x-tar', Metadata: { v: '2' }, ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }),
    );
    const etags: string[] = [];
    for (const [index, body] of parts.entries()) {
      const out = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'big.bin', UploadId, PartNumber: index + 1, Body: body, ChecksumAlgorithm: 'CRC32' }));
      expect(out.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
      etags.push(out.ETag!);
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'big.bin', UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 5 * MiB, etags[0]],
      [2, 5 * MiB, etags[1]],
      [3, 4, etags[2]],
    ]);
    created.length = 0;
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'mpu',
        Key: 'big.bin',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(done.ChecksumType).toBe('FULL_OBJECT');
    const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
    expect(done.ETag).toBe(`"${createHash('md5').update(md5s).digest('hex')}-3"`);
    expect(created).toEqual([{ bucket: 'mpu', key: 'big.bin', size: 10 * MiB + 4, etag: done.ETag }]);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big.bin', ChecksumMode: 'ENABLED' }));
    expect(got).toMatchObject({ ContentType: 'application/x-tar', Metadata: { v: '2' }, ContentLength: 10 * MiB + 4 });
    expect([got.ChecksumCRC32, got.ChecksumType]).toEqual([done.ChecksumCRC32, 'FULL_OBJECT']);
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(Buffer.concat(parts))).toBe(true);
    expect(await code(s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'big.bin', UploadId })))).toBe('NoSuchUpload 404');
  });

  test('errors: small non-final part, wrong ETag, out of order, unknown upload; abort removes the upload', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'bad.bin' }));
    const one = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'bad.bin', UploadId, PartNumber: 1, Body: 'small' }));
    const two = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'bad.bin', UploadId, PartNumber: 2, Body: 'small' }));
    const complete = (Parts: Array<{ ETag?: string; PartNumber: number }>) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'bad.bin', UploadId, MultipartUpload: { Parts } }));
    expect(await code(complete([{ ETag: one.ETag, PartNumber: 1 }, { ETag: two.ETag, PartNumber: 2 }]))).toBe('EntityTooSmall 400');
    expect(await code(complete([{ ETag: '"00000000000000000000000000000000"', PartNumber: 1 }]))).toBe('InvalidPart 400');
    expect(await code(complete([{ ETag: two.ETag, PartNumber: 2 }, { ETag: one.ETag, PartNumber: 1 }]))).toBe('InvalidPartOrder 400');
    expect(await code(s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'bad.bin', UploadId, PartNumber: 10_001, Body: 'x' })))).toBe('InvalidArgument 400');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'bad.bin', UploadId }));
    expect(await code(complete([{ ETag: one.ETag, PartNumber: 1 }]))).toBe('NoSuchUpload 404');
    expect(await code(s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'bad.bin', UploadId: '../../etc', PartNumber: 1, Body: 'x' })))).toBe('NoSuchUpload 404');
    expect(await code(s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'bad.bin' })))).toBe('NoSuchKey 404');
  });

  test('a single-part upload completes with If-None-Match, and a second one is refused', async () => {
    const upload = async () => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'once.bin' }));
      const part = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'once.bin', UploadId, PartNumber: 1, Body: 'only' }));
      return s3.send(
        new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'once.bin', UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] } }),
      );
    };
    expect(await code(upload())).toBe('succeeded');
    expect(await code(upload())).toBe('PreconditionFailed 412');
  });
});

describe('ListObjectsV2', () => {
  const list = (input: Partial<ConstructorParameters<typeof ListObjectsV2Command>[0]>) =>
    s3.send(new ListObjectsV2Command({ Bucket: 'listing', ...input }));

  test('keys in UTF-8 byte order with sizes and ETags', async () => {
    const out = await list({});
    expect(out.Contents?.map((c) => c.Key)).toEqual(['a.txt', 'b/1.txt', 'b/2.txt', 'b/c/3.txt', 'c.txt', 'd/x', 'é.txt', '\uE000.txt', '😀.txt']);
    expect(out).toMatchObject({ KeyCount: 9, IsTruncated: false, Name: 'listing' });
    expect(out.Contents?.[0]).toMatchObject({ Size: 5, StorageClass: 'STANDARD', ETag: `"${createHash('md5').update('a.txt').digest('hex')}"` });
  });

  test('prefix and delimiter roll keys up into CommonPrefixes', async () => {
    const top = await list({ Delimiter: '/' });
    expect(top.Contents?.map((c) => c.Key)).toEqual(['a.txt', 'c.txt', 'é.txt', '\uE000.txt', '😀.txt']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/', 'd/']);
    expect(top.KeyCount).toBe(7);
    const underB = await list({ Prefix: 'b/', Delimiter: '/' });
    expect(underB.Contents?.map((c) => c.Key)).toEqual(['b/1.txt', 'b/2.txt']);
    expect(underB.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/c/']);
  });

  test('max-keys pages with continuation tokens visit every entry exactly once', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await list({ Delimiter: '/', MaxKeys: 2, ContinuationToken: token });
      pages += 1;
      seen.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toBe(4);
    expect(seen.sort()).toEqual(['a.txt', 'b/', 'c.txt', 'd/', 'é.txt', '\uE000.txt', '😀.txt'].sort());
  });

  test('start-after, encoding-type=url, and a bad continuation token', async () => {
    expect((await list({ StartAfter: 'b/2.txt' })).Contents?.[0].Key).toBe('b/c/3.txt');
    const encoded = await list({ Prefix: 'é', EncodingType: 'url' });
    expect(encoded.Contents?.map((c) => c.Key)).toEqual([encodeURIComponent('é.txt')]);
    expect(await code(list({ ContinuationToken: 'garbage' }))).toBe('InvalidArgument 400');
    expect(await code(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).toBe('NoSuchBucket 404');
  });
});
