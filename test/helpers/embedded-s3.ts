import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Service, type ObjectCreatedEvent } from '../../local/s3/service';
import { localClientConfig, startLocalAws, type LocalAws } from './local-aws';

export interface EmbeddedS3 {
  aws: LocalAws;
  /** An SDK v3 client pointed at it. */
  s3: S3Client;
  /** Every ObjectCreated event it emitted, in order (tests may empty it). */
  created: ObjectCreatedEvent[];
  close(): Promise<void>;
}

/** The embedded S3 alone on a free port, with `buckets` created through the API. Always `await close()` (afterAll). */
export async function startEmbeddedS3(buckets: string[]): Promise<EmbeddedS3> {
  const created: ObjectCreatedEvent[] = [];
  const aws = await startLocalAws((dataDir) => [createS3Service({ dataDir, onObjectCreated: (e) => created.push(e) })]);
  const s3 = new S3Client(localClientConfig(aws.url));
  for (const Bucket of buckets) await s3.send(new CreateBucketCommand({ Bucket }));
  return {
    aws,
    s3,
    created,
    async close() {
      s3.destroy();
      await aws.close();
    },
  };
}
