import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { s3 } from '../functions/lib/clients';
import { parseS3Uri, toS3Uri } from '../functions/lib/s3-uri';
import { InfrastructureError } from './cli-errors';

export const REPO_ROOT = resolve(__dirname, '..');
export const EXAMPLE_DIR = join(REPO_ROOT, 'examples', 'recommender');
const BUILD_DIR = join(EXAMPLE_DIR, 'build');

/** build/manifest.json: every built file and the S3 URI its deploy.json refers to it by. */
const manifestSchema = z.object({ files: z.array(z.object({ file: z.string(), uri: z.string() })) });
export type ExampleManifest = z.infer<typeof manifestSchema>;

/** The example recommender's build (v1, v2, broken, payloads, baselines), built first if it is not there. */
export function ensureExampleBuilt(log: (line: string) => void): ExampleManifest {
  const manifestFile = join(BUILD_DIR, 'manifest.json');
  if (!existsSync(manifestFile) || !existsSync(join(BUILD_DIR, 'v1', 'model.tar.gz'))) {
    log('Building the example recommender (examples/recommender/build.mjs)…');
    execFileSync(process.execPath, [join(EXAMPLE_DIR, 'build.mjs')], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(manifestFile, 'utf8')));
  if (!parsed.success) throw new InfrastructureError(`${manifestFile} is not the manifest build.mjs writes`, 'Rebuild: node examples/recommender/build.mjs');
  return parsed.data;
}

/** Uploads the smoke payloads and baselines where the example's deploy.json files expect them. */
export async function uploadSmokeFixtures(manifest: ExampleManifest): Promise<number> {
  const fixtures = manifest.files.filter((f) => /^(payloads|baselines)\//.test(f.file));
  for (const f of fixtures) await putFile(join(BUILD_DIR, f.file), f.uri);
  return fixtures.length;
}

/**
 * Uploads a version's deploy.json, then its model.tar.gz, under models/<endpoint>/<version>/ in the models bucket:
 * the model upload is what starts the pipeline, and the deploy.json must be there before it.
 * Returns the model's URI and the ETag S3 gave it (the trigger names the execution after key and ETag).
 */
export async function uploadVersion(version: string, modelsBucket: string, endpointName: string): Promise<{ modelUri: string; key: string; etag: string }> {
  const prefix = `models/${endpointName}/${version}/`;
  await putFile(join(BUILD_DIR, version, 'deploy.json'), toS3Uri({ bucket: modelsBucket, key: `${prefix}deploy.json` }));
  const key = `${prefix}model.tar.gz`;
  const etag = await putFile(join(BUILD_DIR, version, 'model.tar.gz'), toS3Uri({ bucket: modelsBucket, key }));
  return { modelUri: toS3Uri({ bucket: modelsBucket, key }), key, etag };
}

/** A smoke payload of the example, by file name (`payloads/sneakers-top5.json`), with its S3 URI and v1's baseline. */
export function examplePayload(manifest: ExampleManifest, name: string): { uri: string; baseline: unknown } {
  const payload = manifest.files.find((f) => f.file === `payloads/${name}`);
  if (!payload) throw new InfrastructureError(`The example build has no payloads/${name}`);
  return { uri: payload.uri, baseline: JSON.parse(readFileSync(join(BUILD_DIR, 'baselines', name), 'utf8')) };
}

async function putFile(file: string, uri: string): Promise<string> {
  const { bucket, key } = parseS3Uri(uri)!;
  const put = await s3().send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size }),
  );
  return put.ETag ?? '';
}
