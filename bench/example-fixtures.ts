import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EXAMPLE_DIR, ensureExampleBuilt } from '../cli/example-artifacts';
import { deployFileSchema, type SmokeTest } from '../functions/lib/deployment-input';
import { parseS3Uri } from '../functions/lib/s3-uri';

/** The example recommender's v1 as the bench deploys it: its artifact and its first smoke case. */
export interface ExampleV1 {
  modelDataUrl: string;
  image: string;
  environment: Record<string, string>;
  smokeCase: SmokeTest;
  /** The smoke case's payload bytes (the direct sequence uploads them itself). */
  payload: Buffer;
}

/**
 * Builds the example if needed and puts every built file (artifacts, deploy.json files, payloads, baselines) at the
 * S3 URI its manifest names. None is under models/, so no upload starts the pipeline by itself.
 */
export async function uploadExample(s3: S3Client, log: (line: string) => void): Promise<ExampleV1> {
  const manifest = ensureExampleBuilt(log);
  const build = join(EXAMPLE_DIR, 'build');
  for (const { file, uri } of manifest.files) {
    const { bucket, key } = parseS3Uri(uri)!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(join(build, file)) }));
  }
  const model = manifest.files.find((f) => f.file === 'v1/model.tar.gz');
  if (!model) throw new Error('The example manifest lists no v1/model.tar.gz: rebuild with node examples/recommender/build.mjs');
  const deploy = deployFileSchema.parse(JSON.parse(readFileSync(join(build, 'v1', 'deploy.json'), 'utf8')));
  const smokeCase = deploy.smokeTests?.[0];
  if (!smokeCase || !deploy.image) throw new Error('examples/recommender/build/v1/deploy.json has no image or no smoke test');
  const payloadFile = manifest.files.find((f) => f.uri === smokeCase.payloadUri);
  if (!payloadFile) throw new Error(`The example manifest does not list the payload ${smokeCase.payloadUri}`);
  return {
    modelDataUrl: model.uri,
    image: deploy.image,
    environment: deploy.environment ?? {},
    smokeCase,
    payload: readFileSync(join(build, payloadFile.file)),
  };
}
