// Builds the example recommender's artifacts into examples/recommender/build/ (git-ignored), deterministically:
//   v1/      model.tar.gz + deploy.json   the good model
//   v2/      model.tar.gz + deploy.json   "retrained": embeddings perturbed, top-5 unchanged for >= 80% of items
//   broken/  model.tar.gz + deploy.json   scrambled embeddings: answers that fail the smoke gate
//   payloads/*.json, baselines/*.json    smoke-test requests and v1's answers to them
//   manifest.json                         every file and the S3 URI it is meant to be uploaded to
// Usage: node examples/recommender/build.mjs [--out <dir>]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { indexCatalogue, recommend } from './container/recommend.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const S3_PREFIX = 's3://aep-models/examples/recommender';
export const IMAGE = 'local/recommender:latest';
const ITEM_COUNT = 200;
const DIM = 32;
const TOP_K = 5;
const CATEGORIES = ['sneakers', 'boots', 'dresses', 'jackets', 'handbags', 'shirts', 'jeans', 'scarves'];
const COLOURS = ['black', 'white', 'navy', 'camel', 'olive', 'burgundy', 'grey', 'blush'];

/** mulberry32: a tiny seeded PRNG, so every build writes the same bytes. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random) {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const round = (x) => Math.round(x * 1e6) / 1e6;

/** A StyGig-style catalogue: items clustered by category and colour in a 32-dimensional style space. */
export function makeCatalogue() {
  const random = prng(20240611);
  const centre = (n) => Array.from({ length: n }, () => Array.from({ length: DIM }, () => gaussian(random)));
  const categoryCentres = centre(CATEGORIES.length);
  const colourCentres = centre(COLOURS.length);
  const items = Array.from({ length: ITEM_COUNT }, (_, i) => {
    const category = i % CATEGORIES.length;
    const colour = Math.floor(random() * COLOURS.length);
    const embedding = Array.from({ length: DIM }, (_, d) =>
      round(categoryCentres[category][d] + 0.5 * colourCentres[colour][d] + 0.6 * gaussian(random)),
    );
    const item_id = `item-${String(i + 1).padStart(4, '0')}`;
    return { item_id, name: `${COLOURS[colour]} ${CATEGORIES[category].replace(/s$/, '')}`, category: CATEGORIES[category], colour: COLOURS[colour], embedding };
  });
  return { dim: DIM, items };
}

/** v2: the same catalogue after a light retraining — every embedding nudged a little. */
export function retrain(catalogue, scale = 0.03) {
  const random = prng(7);
  return { ...catalogue, items: catalogue.items.map((item) => ({ ...item, embedding: item.embedding.map((x) => round(x + scale * gaussian(random))) })) };
}

/** broken: embeddings handed to the wrong items, so every answer is nonsense while the server stays healthy. */
export function scramble(catalogue) {
  const random = prng(13);
  const vectors = catalogue.items.map((item) => item.embedding);
  for (let i = vectors.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [vectors[i], vectors[j]] = [vectors[j], vectors[i]];
  }
  return { ...catalogue, items: catalogue.items.map((item, i) => ({ ...item, embedding: vectors[i] })) };
}

/** Share of items whose top-k ids are the same set in both catalogues. */
export function stableTopKShare(a, b, k = TOP_K) {
  const ia = indexCatalogue(a);
  const ib = indexCatalogue(b);
  const same = a.items.filter((item) => {
    const ids = (index) => recommend(index, { item_id: item.item_id, top_k: k }).recommendations.map((r) => r.item_id).sort().join();
    return ids(ia) === ids(ib);
  });
  return same.length / a.items.length;
}

function deployFile(version, cases) {
  return {
    image: IMAGE,
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    environment: { MODEL_VERSION: version },
    async: { maxConcurrentInvocationsPerInstance: 4, invocationTimeoutSeconds: 60 },
    smokeTests: cases.map((c) => ({
      name: c.name,
      payloadUri: `${S3_PREFIX}/payloads/${c.name}.json`,
      contentType: 'application/json',
      accept: 'application/json',
      baseline: { uri: `${S3_PREFIX}/baselines/${c.name}.json` },
      compare: { mode: 'topk', path: '$.recommendations[*].item_id', k: TOP_K, minOverlap: 0.8 },
    })),
  };
}

async function writeModel(dir, catalogue, version) {
  const staging = join(dir, 'model');
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'catalogue.json'), JSON.stringify(catalogue));
  writeFileSync(
    join(staging, 'model.json'),
    JSON.stringify({ name: 'stygig-style-recommender', version, dim: catalogue.dim, items: catalogue.items.length, similarity: 'cosine' }, null, 2),
  );
  // Fixed mtimes and portable headers: the same input always yields the same model.tar.gz bytes (and ETag).
  await tar.c({ gzip: true, portable: true, mtime: new Date(0), cwd: staging, file: join(dir, 'model.tar.gz') }, ['catalogue.json', 'model.json']);
  rmSync(staging, { recursive: true, force: true });
}

export async function build(out = join(HERE, 'build')) {
  rmSync(out, { recursive: true, force: true });
  const v1 = makeCatalogue();
  const v2 = retrain(v1);
  const broken = scramble(v1);
  const share = stableTopKShare(v1, v2);
  if (share < 0.8) throw new Error(`v2 keeps the top-${TOP_K} of only ${(share * 100).toFixed(1)}% of items; it must keep >= 80%`);

  // Smoke cases: items whose neighbourhood v2 keeps (a compatible model passes) and broken loses (the gate bites).
  const [i1, i2, ib] = [v1, v2, broken].map(indexCatalogue);
  const ids = (index, req) => recommend(index, req).recommendations.map((r) => r.item_id);
  const overlap = (a, b) => a.filter((x) => b.includes(x)).length / TOP_K;
  const pick = (category) =>
    v1.items.find((item) => {
      if (item.category !== category) return false;
      const req = { item_id: item.item_id, top_k: TOP_K };
      return overlap(ids(i1, req), ids(i2, req)) === 1 && overlap(ids(i1, req), ids(ib, req)) < 0.8;
    });
  const cases = [
    { name: 'sneakers-top5', request: { item_id: pick('sneakers').item_id, top_k: TOP_K } },
    { name: 'dresses-top5', request: { item_id: pick('dresses').item_id, top_k: TOP_K } },
    { name: 'handbag-embedding-top5', request: { embedding: pick('handbags').embedding, top_k: TOP_K } },
  ];

  const manifest = [];
  const emit = (path, content, uri) => {
    mkdirSync(dirname(path), { recursive: true });
    if (content !== undefined) writeFileSync(path, content);
    manifest.push({ file: relative(out, path), uri });
  };
  for (const c of cases) {
    emit(join(out, 'payloads', `${c.name}.json`), JSON.stringify(c.request), `${S3_PREFIX}/payloads/${c.name}.json`);
    emit(join(out, 'baselines', `${c.name}.json`), JSON.stringify(recommend(i1, c.request)), `${S3_PREFIX}/baselines/${c.name}.json`);
  }
  for (const [version, catalogue] of [['v1', v1], ['v2', v2], ['broken', broken]]) {
    const dir = join(out, version);
    mkdirSync(dir, { recursive: true });
    await writeModel(dir, catalogue, version);
    emit(join(dir, 'model.tar.gz'), undefined, `${S3_PREFIX}/${version}/model.tar.gz`);
    emit(join(dir, 'deploy.json'), JSON.stringify(deployFile(version, cases), null, 2), `${S3_PREFIX}/${version}/deploy.json`);
  }
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ image: IMAGE, v2StableTop5Share: share, files: manifest }, null, 2));
  return { out, share, cases: cases.map((c) => c.name) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const flag = process.argv.indexOf('--out');
  const result = await build(flag > 0 ? process.argv[flag + 1] : undefined);
  console.log(`built ${result.out}: v1, v2 (top-${TOP_K} kept for ${(result.share * 100).toFixed(1)}% of items), broken; cases ${result.cases.join(', ')}`);
}
