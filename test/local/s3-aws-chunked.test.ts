import fc from 'fast-check';
import { decodeAwsChunked } from '../../local/protocols/aws-chunked';
import { createChecksum } from '../../local/protocols/checksums';

/** Encodes a payload the way SigV4 streaming clients do, optionally with chunk signatures and a trailer signature. */
function encode(chunks: Buffer[], options: { signed: boolean; trailer?: string }): Buffer {
  const signature = options.signed ? `;chunk-signature=${'a'.repeat(64)}` : '';
  const parts = chunks.filter((c) => c.length > 0).map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}${signature}\r\n`), c, Buffer.from('\r\n')]));
  const trailer = options.trailer ? `${options.trailer}\r\n${options.signed ? `x-amz-trailer-signature:${'b'.repeat(64)}\r\n` : ''}` : '';
  return Buffer.concat([...parts, Buffer.from(`0${signature}\r\n${trailer}\r\n`)]);
}

/** Feeds `bytes` to the decoder in pieces cut at `cuts`, as a network would. */
async function decode(bytes: Buffer, cuts: number[]): Promise<{ payload: Buffer; trailers: Record<string, string> }> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces = [0, ...points, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
  const trailers: Record<string, string> = {};
  const out: Buffer[] = [];
  for await (const chunk of decodeAwsChunked((async function* () { yield* pieces; })(), trailers)) out.push(chunk);
  return { payload: Buffer.concat(out), trailers };
}

test('any payload, chunking and network split decodes to the same bytes and trailers, signed or not', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.boolean(),
      async (chunks, cuts, signed) => {
        const buffers = chunks.map((c) => Buffer.from(c));
        const whole = Buffer.concat(buffers);
        const crc = createChecksum('CRC32');
        crc.update(whole);
        const { payload, trailers } = await decode(encode(buffers, { signed, trailer: `x-amz-checksum-crc32:${crc.digestBase64()}` }), cuts);
        expect(payload.equals(whole)).toBe(true);
        expect(trailers['x-amz-checksum-crc32']).toBe(crc.digestBase64());
      },
    ),
    { numRuns: 200 },
  );
});

test('a truncated body is IncompleteBody; a bad size line is InvalidRequest', async () => {
  const body = encode([Buffer.from('hello world')], { signed: false });
  await expect(decode(body.subarray(0, 8), [])).rejects.toMatchObject({ code: 'IncompleteBody' });
  await expect(decode(Buffer.from('xyz\r\nhello\r\n0\r\n\r\n'), [])).rejects.toMatchObject({ code: 'InvalidRequest' });
  await expect(decode(Buffer.from('5\r\nhelloXX0\r\n\r\n'), [])).rejects.toMatchObject({ code: 'InvalidRequest' });
});

test('checksums match the published check values for "123456789"', () => {
  const check = (algorithm: Parameters<typeof createChecksum>[0]) => {
    const sum = createChecksum(algorithm);
    sum.update(Buffer.from('1234'));
    sum.update(Buffer.from('56789'));
    return Buffer.from(sum.digestBase64(), 'base64').toString('hex');
  };
  expect(check('CRC32')).toBe('cbf43926');
  expect(check('CRC32C')).toBe('e3069283');
  expect(check('CRC64NVME')).toBe('ae8b14860a799888');
  expect(check('SHA256')).toBe('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225');
});
