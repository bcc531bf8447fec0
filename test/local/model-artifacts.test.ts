import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as tar from 'tar';
import { LocalAwsClients } from '../../local/hosting/local-aws-clients';
import { extractSafely, ModelArtifacts } from '../../local/hosting/model-artifacts';
import { createS3Service, type S3Service } from '../../local/s3/service';
import { peakRssGrowth, writeGzipBomb } from '../helpers/gzip-bomb';
import { localClientConfig, startLocalAws, type LocalAws } from '../helpers/local-aws';

/** A model.tar.gz is the uploader's data: a gzip bomb must not take the server's memory, nor a stale copy be served. */

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'aep-artifacts-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

describe('extractSafely on a gzip bomb', () => {
  it('stops at the byte cap with bounded memory, naming the cap', async () => {
    const bomb = join(dir, 'bomb.tar.gz');
    writeGzipBomb(bomb, 512 * MiB);
    expect(readFileSync(bomb).length).toBeLessThan(2 * MiB);
    mkdirSync(join(dir, 'out'));
    const growth = await peakRssGrowth(() =>
      expect(extractSafely(bomb, join(dir, 'out'), 's3://m/bomb.tar.gz', { maxBytes: 16 * MiB, maxEntries: 100 })).rejects.toThrow(
        /s3:\/\/m\/bomb\.tar\.gz expands beyond the extraction cap: more than 16 MiB \(hosting\.maxModelBytes\)/,
      ),
    );
    // tar's own file mode inflates a 16 MiB read at once: this archive would take 512 MiB
    expect(growth / MiB).toBeLessThan(128);
  });

  it('stops at the entry cap', async () => {
    mkdirSync(join(dir, 'src'));
    const names = Array.from({ length: 30 }, (_, i) => `f${i}.txt`);
    for (const name of names) writeFileSync(join(dir, 'src', name), name);
    await tar.c({ gzip: true, cwd: join(dir, 'src'), file: join(dir, 'many.tar.gz') }, names);
    mkdirSync(join(dir, 'out'));
    await expect(extractSafely(join(dir, 'many.tar.gz'), join(dir, 'out'), 'many', { maxBytes: MiB, maxEntries: 10 })).rejects.toThrow(
      /expands beyond the extraction cap: more than 10 entries \(hosting\.maxModelEntries\)/,
    );
    // within the caps it extracts everything
    await extractSafely(join(dir, 'many.tar.gz'), join(dir, 'out'), 'many', { maxBytes: MiB, maxEntries: 30 });
    expect(readdirSync(join(dir, 'out')).sort()).toEqual([...names].sort());
  });
});

describe('ModelArtifacts', () => {
  let aws: LocalAws;
  let s3Service: S3Service;
  let s3: S3Client;
  let clients: LocalAwsClients;

  beforeAll(async () => {
    aws = await startLocalAws((dataDir) => [(s3Service = createS3Service({ dataDir }))]);
    await s3Service.ensureBucket('models');
    s3 = new S3Client(localClientConfig(aws.url));
    clients = new LocalAwsClients(() => aws.url);
  });
  afterAll(async () => {
    s3.destroy();
    clients.destroy();
    await aws.close();
  });

  async function upload(key: string, content: string): Promise<void> {
    const src = join(dir, `src-${content}`);
    mkdirSync(src);
    writeFileSync(join(src, 'model.txt'), content);
    await tar.c({ gzip: true, cwd: src, file: join(dir, `${content}.tar.gz`) }, ['model.txt']);
    await s3.send(new PutObjectCommand({ Bucket: 'models', Key: key, Body: readFileSync(join(dir, `${content}.tar.gz`)) }));
  }

  it('a model re-created with the same name and URL over a new upload serves the new files; DeleteModel removes them', async () => {
    const root = join(dir, 'models');
    const artifacts = new ModelArtifacts(root, clients);
    await upload('m/model.tar.gz', 'one');
    const first = await artifacts.directory('m', 's3://models/m/model.tar.gz');
    expect(readFileSync(join(first, 'model.txt'), 'utf8')).toBe('one');
    expect(await artifacts.directory('m', 's3://models/m/model.tar.gz')).toBe(first);

    await upload('m/model.tar.gz', 'two');
    const second = await artifacts.directory('m', 's3://models/m/model.tar.gz');
    expect(readFileSync(join(second, 'model.txt'), 'utf8')).toBe('two');
    expect(existsSync(first)).toBe(false);
    expect(readdirSync(join(root, 'm'))).toHaveLength(1);

    await artifacts.remove('m');
    expect(existsSync(join(root, 'm'))).toBe(false);
  });
});
