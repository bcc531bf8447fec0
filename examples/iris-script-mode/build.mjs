// Builds the script-mode example's artifacts into examples/iris-script-mode/build/ (git-ignored), deterministically:
//   v1/      model.tar.gz (model.pth + code/inference.py + code/requirements.txt) + deploy.json   the good model
//   broken/  model.tar.gz with broken/code/inference.py (predict_fn fails) + deploy.json
//   bare/    v1's model.tar.gz + a deploy.json with nothing but the image URI
//   payloads/flowers.json, baselines/flowers.json, manifest.json (every file and the S3 URI it is meant for)
// model.tar.gz is laid out as SageMaker's PyTorch documentation describes; deploy.json names the unchanged AWS
// PyTorch inference image, which the embedded AWS runs in its built-in script-mode emulator.
// Usage: node examples/iris-script-mode/build.mjs [--out <dir>]
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';

const HERE = dirname(fileURLToPath(import.meta.url));
export const S3_PREFIX = 's3://aep-models/examples/iris-script-mode';
export const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker';
const CLASSES = ['setosa', 'versicolor', 'virginica'];
/** Four features and a bias row → three classes. */
export const WEIGHTS = [
  [0.4, 0.1, -0.5],
  [1.2, -0.3, -0.9],
  [-2.0, 0.2, 1.8],
  [-1.0, -0.6, 2.2],
  [0.3, 1.0, -1.3],
];
const FLOWERS = { instances: [[5.1, 3.5, 1.4, 0.2], [6.0, 2.7, 4.2, 1.3], [6.9, 3.1, 5.8, 2.2]] };

/** A float64 C-order matrix in NumPy's .npy format (version 1.0), what numpy.save writes. */
export function npy(matrix) {
  const shape = `(${matrix.length}, ${matrix[0].length})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(8 * matrix.length * matrix[0].length);
  matrix.flat().forEach((x, i) => data.writeDoubleLE(x, 8 * i));
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

/** What inference.py answers, computed here for the baseline. */
export function classify(instances) {
  const probabilities = instances.map((x) => {
    const logits = CLASSES.map((_, c) => [...x, 1].reduce((sum, v, f) => sum + v * WEIGHTS[f][c], 0));
    const max = Math.max(...logits);
    const exp = logits.map((l) => Math.exp(l - max));
    const total = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => Math.round((e / total) * 1e6) / 1e6);
  });
  return { labels: probabilities.map((p) => CLASSES[p.indexOf(Math.max(...p))]), probabilities };
}

async function writeModel(dir, codeDir) {
  const staging = join(dir, 'model');
  mkdirSync(join(staging, 'code'), { recursive: true });
  writeFileSync(join(staging, 'model.pth'), npy(WEIGHTS));
  copyFileSync(join(codeDir, 'inference.py'), join(staging, 'code', 'inference.py'));
  copyFileSync(join(HERE, 'model', 'code', 'requirements.txt'), join(staging, 'code', 'requirements.txt'));
  await tar.c({ gzip: true, portable: true, mtime: new Date(0), cwd: staging, file: join(dir, 'model.tar.gz') }, ['model.pth', 'code']);
  rmSync(staging, { recursive: true, force: true });
}

const deployFile = () => ({
  image: IMAGE,
  async: { maxConcurrentInvocationsPerInstance: 2, invocationTimeoutSeconds: 60 },
  smokeTests: [
    {
      name: 'flowers',
      payloadUri: `${S3_PREFIX}/payloads/flowers.json`,
      contentType: 'application/json',
      accept: 'application/json',
      baseline: { uri: `${S3_PREFIX}/baselines/flowers.json` },
      compare: { mode: 'numeric', absTol: 1e-5 },
    },
  ],
});

export async function build(out = join(HERE, 'build')) {
  rmSync(out, { recursive: true, force: true });
  const files = [];
  const emit = (path, content, uri) => {
    mkdirSync(dirname(path), { recursive: true });
    if (content !== undefined) writeFileSync(path, content);
    files.push({ file: relative(out, path), uri });
  };
  emit(join(out, 'payloads', 'flowers.json'), JSON.stringify(FLOWERS), `${S3_PREFIX}/payloads/flowers.json`);
  emit(join(out, 'baselines', 'flowers.json'), JSON.stringify(classify(FLOWERS.instances)), `${S3_PREFIX}/baselines/flowers.json`);
  for (const [version, code, deploy] of [['v1', 'model/code', deployFile()], ['broken', 'broken/code', deployFile()], ['bare', 'model/code', { image: IMAGE }]]) {
    const dir = join(out, version);
    mkdirSync(dir, { recursive: true });
    await writeModel(dir, join(HERE, code));
    emit(join(dir, 'model.tar.gz'), undefined, `${S3_PREFIX}/${version}/model.tar.gz`);
    emit(join(dir, 'deploy.json'), JSON.stringify(deploy, null, 2), `${S3_PREFIX}/${version}/deploy.json`);
  }
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ image: IMAGE, files }, null, 2));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const flag = process.argv.indexOf('--out');
  console.log(`built ${await build(flag > 0 ? process.argv[flag + 1] : undefined)}: v1, broken, bare`);
}
