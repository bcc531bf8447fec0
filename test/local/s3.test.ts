import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectCreatedEvent } from '../../local/s3/service';
import { SMALL_OBJECT_BYTES } from '../../local/s3/small-objects';
import { startEmbeddedS3 } from '../helpers/embedded-s3';

let s3: S3Client;
let created: ObjectCreatedEvent[];
let close: () => Promise<void>;

beforeAll(async () => ({ s3, created, close } = await startEmbeddedS3(['data'])));
afterAll(() => close());

/** The S3 error a call failed with: code, HTTP status, and the raw fields of the error document. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string; raw: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof S3ServiceException)) throw error;
    return { code: error.name, status: error.$metadata.httpStatusCode ?? 0, message: error.message, raw: error as unknown as Record<string, unknown> };
  }
  throw new Error('expected the call to fail');
}

const md5 = (body: string | Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;

describe('buckets', () => {
  test('create, head, location, list, delete; errors for duplicates, missing and non-empty buckets', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'scratch-1' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'scratch-1' }));
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'scratch-1' }))).LocationConstraint).toBeUndefined();
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['data', 'scratch-1']));
    expect(list.Buckets?.[0].CreationDate).toBeInstanceOf(Date);

    // S3's us-east-1 legacy: re-creating a bucket you own there answers 200; elsewhere BucketAlreadyOwnedByYou.
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'scratch-1' }))).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    const west = { Bucket: 'scratch-west', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' as const } };
    await s3.send(new CreateBucketCommand(west));
    expect(await failure(s3.send(new CreateBucketCommand(west)))).toMatchObject({ code: 'BucketAlreadyOwnedByYou', status: 409 });
    await s3.send(new DeleteBucketCommand({ Bucket: 'scratch-west' }));
    expect(await failure(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toMatchObject({ code: 'InvalidBucketName', status: 400 });
    await s3.send(new PutObjectCommand({ Bucket: 'scratch-1', Key: 'x', Body: 'x' }));
    expect(await failure(s3.send(new DeleteBucketCommand({ Bucket: 'scratch-1' })))).toMatchObject({ code: 'BucketNotEmpty', status: 409 });
    await s3.send(new DeleteObjectCommand({ Bucket: 'scratch-1', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'scratch-1' }));
    expect(await failure(s3.send(new HeadBucketCommand({ Bucket: 'scratch-1' })))).toMatchObject({ code: 'NotFound', status: 404 });
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'scratch-1', Key: 'x' })))).toMatchObject({ code: 'NoSuchBucket', status: 404 });
  });

  test('a LocationConstraint is kept and reported', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'in-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'in-eu' }))).LocationConstraint).toBe('eu-west-1');
  });
});

describe('objects', () => {
  test('put and get round-trip bytes, content type, user metadata, ETag and LastModified', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'data', Key: 'docs/a.json', Body: '{"a":1}', ContentType: 'application/json', Metadata: { owner: 'team-x' } }),
    );
    expect(put.ETag).toBe(md5('{"a":1}'));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'docs/a.json' }));
    expect(await got.Body?.transformToString()).toBe('{"a":1}');
    expect(got).toMatchObject({ ContentType: 'application/json', ETag: put.ETag, ContentLength: 7, Metadata: { owner: 'team-x' } });
    expect(Math.abs((got.LastModified?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'data', Key: 'docs/a.json' }));
    expect(head).toMatchObject({ ContentLength: 7, ETag: put.ETag, ContentType: 'application/json', Metadata: { owner: 'team-x' } });
    expect(created).toContainEqual({ bucket: 'data', key: 'docs/a.json', size: 7, etag: put.ETag });
  });

  test('a streamed upload (aws-chunked with a CRC32 trailer) is decoded and verified', async () => {
    const parts = [Buffer.alloc(70_000, 'a'), Buffer.alloc(1, 'b'), Buffer.alloc(65_536, 'c')];
    const whole = Buffer.concat(parts);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'stream.bin', Body: Readable.from(parts), ContentLength: whole.length }));
    expect(put.ETag).toBe(md5(whole));
    expect(put.ChecksumCRC32).toBeDefined();
    const got = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'stream.bin', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(whole)).toBe(true);
  });

  test('a wrong checksum or Content-MD5 is refused with BadDigest and nothing is stored', async () => {
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'bad-crc', Body: 'hello', ChecksumCRC32: 'AAAAAA==' })))).toMatchObject({
      code: 'BadDigest',
      status: 400,
    });
    const wrongMd5 = createHash('md5').update('other').digest('base64');
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'bad-md5', Body: 'hello', ContentMD5: wrongMd5 })))).toMatchObject({
      code: 'BadDigest',
    });
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'data', Key: 'bad-crc' })))).toMatchObject({ status: 404 });
  });

  test('ranges: 206 with Content-Range, suffix and open ranges, 416 InvalidRange past the end', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'digits', Body: '0123456789' }));
    const middle = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'digits', Range: 'bytes=2-5' }));
    expect(await middle.Body?.transformToString()).toBe('2345');
    expect(middle.$metadata.httpStatusCode).toBe(206);
    expect(middle.ContentRange).toBe('bytes 2-5/10');
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'digits', Range: 'bytes=-3' }))).Body?.transformToString()).toBe('789');
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'digits', Range: 'bytes=7-' }))).Body?.transformToString()).toBe('789');
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'digits', Range: 'bytes=8-100' }))).Body?.transformToString()).toBe('89');
    const beyond = await failure(s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'digits', Range: 'bytes=10-20' })));
    expect(beyond).toMatchObject({ code: 'InvalidRange', status: 416 });
    expect(beyond.raw.ActualObjectSize).toBe('10');
  });

  test('objects either side of the small-object size (read at once / streamed) read back whole, by range, and after a replace', async () => {
    for (const size of [SMALL_OBJECT_BYTES, SMALL_OBJECT_BYTES + 1]) {
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i++) body[i] = (i * 7) % 251;
      const key = `sizes/${size}`;
      await s3.send(new PutObjectCommand({ Bucket: 'data', Key: key, Body: body }));
      const whole = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: key }));
      expect(whole.ContentLength).toBe(size);
      expect(Buffer.from(await whole.Body!.transformToByteArray()).equals(body)).toBe(true);
      const tail = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: key, Range: 'bytes=-100' }));
      expect(Buffer.from(await tail.Body!.transformToByteArray()).equals(body.subarray(size - 100))).toBe(true);
      expect(tail.ContentRange).toBe(`bytes ${size - 100}-${size - 1}/${size}`);
      await s3.send(new PutObjectCommand({ Bucket: 'data', Key: key, Body: 'replaced' }));
      expect(await (await s3.send(new GetObjectCommand({ Bucket: 'data', Key: key }))).Body?.transformToString()).toBe('replaced');
    }
  });

  test('reads racing replaces and deletes of a small object see a whole version or NoSuchKey, never an error', async () => {
    const versions = ['version a', 'the longer version b'];
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        if (i % 3 === 0) return s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'raced', Body: versions[i % 2] })).then(() => 'put');
        if (i % 3 === 1) return s3.send(new DeleteObjectCommand({ Bucket: 'data', Key: 'raced' })).then(() => 'deleted');
        try {
          return await (await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'raced' }))).Body!.transformToString();
        } catch (error) {
          return (await failure(Promise.reject(error))).code;
        }
      }),
    );
    for (const outcome of outcomes) expect(['put', 'deleted', 'NoSuchKey', ...versions]).toContain(outcome);
  });

  test('missing keys: NoSuchKey with the key; HEAD is a bare 404', async () => {
    const missing = await failure(s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'nope/x.txt' })));
    expect(missing).toMatchObject({ code: 'NoSuchKey', status: 404, message: 'The specified key does not exist.' });
    expect(missing.raw.Key).toBe('nope/x.txt');
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'data', Key: 'nope/x.txt' })))).toMatchObject({ code: 'NotFound', status: 404 });
  });

  test('keys longer than 1,024 bytes: KeyTooLongError', async () => {
    const error = await failure(s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'k'.repeat(1025), Body: 'x' })));
    expect(error).toMatchObject({ code: 'KeyTooLongError', status: 400 });
    await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'k'.repeat(1024), Body: 'x' }));
  });

  test('conditional reads: If-None-Match → 304, If-Match other → 412', async () => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'cond-read', Body: 'v1' }));
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'cond-read', IfNoneMatch: ETag })))).toMatchObject({ status: 304 });
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'cond-read', IfMatch: '"0000"' })))).toMatchObject({
      code: 'PreconditionFailed',
      status: 412,
    });
  });

  test('delete is idempotent; DeleteObjects reports each key', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'del/1', Body: '1' }));
    await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'del/2 & <3>', Body: '2' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'data', Key: 'del/never-existed' }));
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: 'data', Delete: { Objects: [{ Key: 'del/1' }, { Key: 'del/2 & <3>' }, { Key: 'del/none' }] } }));
    expect(result.Deleted?.map((d) => d.Key).sort()).toEqual(['del/1', 'del/2 & <3>', 'del/none']);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: 'data', Prefix: 'del/' }));
    expect(left.KeyCount).toBe(0);
  });
});

describe('CopyObject', () => {
  test('copies bytes and metadata server-side, or replaces metadata; refuses a self-copy without changes', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'src/a b+c.txt', Body: 'copy me', ContentType: 'text/plain', Metadata: { m: '1' } }));
    created.length = 0;
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'data', Key: 'dst/copy.txt', CopySource: 'data/src/a%20b%2Bc.txt' }));
    expect(copy.CopyObjectResult?.ETag).toBe(md5('copy me'));
    expect(created).toEqual([{ bucket: 'data', key: 'dst/copy.txt', size: 7, etag: md5('copy me') }]);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'dst/copy.txt' }));
    expect(await got.Body?.transformToString()).toBe('copy me');
    expect(got).toMatchObject({ ContentType: 'text/plain', Metadata: { m: '1' } });

    await s3.send(
      new CopyObjectCommand({ Bucket: 'data', Key: 'dst/copy.txt', CopySource: 'data/dst/copy.txt', MetadataDirective: 'REPLACE', ContentType: 'text/csv' }),
    );
    const replaced = await s3.send(new HeadObjectCommand({ Bucket: 'data', Key: 'dst/copy.txt' }));
    expect(replaced).toMatchObject({ ContentType: 'text/csv', Metadata: {} });

    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'data', Key: 'dst/copy.txt', CopySource: 'data/dst/copy.txt' })))).toMatchObject({
      code: 'InvalidRequest',
      status: 400,
    });
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'data', Key: 'dst/x', CopySource: 'data/src/none' })))).toMatchObject({
      code: 'NoSuchKey',
    });
  });
});

describe('conditional writes', () => {
  test('If-None-Match: * creates once, then 412; If-Match writes only over the given ETag', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'locks/a.json', Body: 'one', IfNoneMatch: '*' }));
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'locks/a.json', Body: 'two', IfNoneMatch: '*' })))).toMatchObject({
      code: 'PreconditionFailed',
      status: 412,
    });
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'locks/a.json', Body: 'two', IfMatch: '"0123"' })))).toMatchObject({
      code: 'PreconditionFailed',
    });
    await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'locks/a.json', Body: 'three', IfMatch: first.ETag }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'locks/a.json' }))).Body?.transformToString()).toBe('three');
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'locks/none.json', Body: 'x', IfMatch: first.ETag })))).toMatchObject({
      code: 'NoSuchKey',
    });
    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket: 'data', Key: 'locks/a.json', IfMatch: first.ETag })))).toMatchObject({
      code: 'PreconditionFailed',
    });
  });

  test('concurrent If-None-Match puts of one key: exactly one wins, the stored body is the winner’s', async () => {
    const attempts = Array.from({ length: 8 }, (_, i) =>
      s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'locks/race.json', Body: `writer-${i}`.padEnd(200_000, '.'), IfNoneMatch: '*' })).then(
        (out) => ({ i, etag: out.ETag }),
        (error: S3ServiceException) => ({ i, error: error.name }),
      ),
    );
    const results = await Promise.all(attempts);
    const winners = results.filter((r) => 'etag' in r);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => 'error' in r && r.error === 'PreconditionFailed')).toHaveLength(7);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'data', Key: 'locks/race.json' }))).Body!.transformToString();
    expect(body.startsWith(`writer-${winners[0].i}.`)).toBe(true);
  });
});
