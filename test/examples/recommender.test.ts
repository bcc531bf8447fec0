import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployFileSchema } from '../../functions/lib/deployment-input';
import { ContainerProcess } from '../../local/hosting/container-process';
import { extractSafely } from '../../local/hosting/model-artifacts';

const ROOT = join(__dirname, '..', '..');
const VERSIONS = ['v1', 'v2', 'broken'] as const;
type Version = (typeof VERSIONS)[number];

/** Runs a container of the example on an extracted model, as the embedded SageMaker would host it. */
async function host(command: string[], modelDir: string): Promise<ContainerProcess> {
  const proc = await ContainerProcess.start({
    command,
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', SM_MODEL_DIR: modelDir },
    logFile: join(modelDir, '..', `${command[0].includes('python') ? 'py' : 'node'}.log`),
    stopGraceMs: 1000,
  });
  await proc.waitHealthy(10_000);
  return proc;
}

async function ask(proc: ContainerProcess, request: unknown): Promise<{ recommendations: Array<{ item_id: string; score: number }> }> {
  const res = await fetch(`${proc.url}/invocations`, { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(200);
  return res.json() as Promise<{ recommendations: Array<{ item_id: string; score: number }> }>;
}

const ids = (answer: { recommendations: Array<{ item_id: string }> }) => answer.recommendations.map((r) => r.item_id);
const overlap = (a: string[], b: string[]) => a.filter((x) => b.includes(x)).length / b.length;

describe('examples/recommender', () => {
  let out: string;
  const servers = {} as Record<Version, ContainerProcess>;
  let python: ContainerProcess;
  let itemIds: string[];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'aep-recommender-'));
    execFileSync(process.execPath, [join(ROOT, 'examples/recommender/build.mjs'), '--out', out]);
    for (const version of VERSIONS) {
      const dir = join(out, 'extracted', version);
      mkdirSync(dir, { recursive: true });
      await extractSafely(join(out, version, 'model.tar.gz'), dir, version);
      servers[version] = await host([process.execPath, 'examples/recommender/container/serve.mjs'], dir);
    }
    python = await host(['python3', 'examples/recommender/container/serve.py'], join(out, 'extracted', 'v1'));
    itemIds = JSON.parse(readFileSync(join(out, 'extracted', 'v1', 'catalogue.json'), 'utf8')).items.map((i: { item_id: string }) => i.item_id);
  });
  afterAll(async () => {
    await Promise.all([...Object.values(servers), python].filter(Boolean).map((p) => p.stop()));
    rmSync(out, { recursive: true, force: true });
  });

  it('builds deterministically: the same bytes every time', () => {
    const again = mkdtempSync(join(tmpdir(), 'aep-recommender-'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'examples/recommender/build.mjs'), '--out', again]);
      for (const version of VERSIONS) expect(readFileSync(join(again, version, 'model.tar.gz')).equals(readFileSync(join(out, version, 'model.tar.gz')))).toBe(true);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  it('recommends by cosine similarity, best first, without the item itself', async () => {
    const answer = await ask(servers.v1, { item_id: itemIds[0], top_k: 5 });
    expect(answer.recommendations).toHaveLength(5);
    expect(ids(answer)).not.toContain(itemIds[0]);
    const scores = answer.recommendations.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores.every((s) => s <= 1 && s >= -1)).toBe(true);
    const bad = await fetch(`${servers.v1.url}/invocations`, { method: 'POST', body: JSON.stringify({ item_id: 'nope' }) });
    expect(bad.status).toBe(400);
  });

  it('v2 keeps the top-5 of at least 80% of items; broken keeps far fewer', async () => {
    let v2Same = 0;
    let brokenSame = 0;
    for (const item_id of itemIds) {
      const [a, b, c] = await Promise.all(VERSIONS.map((v) => ask(servers[v], { item_id, top_k: 5 })));
      if (overlap(ids(b), ids(a)) === 1) v2Same++;
      if (overlap(ids(c), ids(a)) === 1) brokenSame++;
    }
    expect(itemIds).toHaveLength(200);
    expect(v2Same / itemIds.length).toBeGreaterThanOrEqual(0.8);
    expect(brokenSame / itemIds.length).toBeLessThan(0.1);
  });

  it('ships payloads, v1 baselines and deploy.json files whose smoke gate passes v2 and fails broken', async () => {
    for (const version of VERSIONS) {
      const deploy = deployFileSchema.parse(JSON.parse(readFileSync(join(out, version, 'deploy.json'), 'utf8')));
      expect(deploy.image).toBe('local/recommender:latest');
      const cases = deploy.smokeTests ?? [];
      expect(cases.length).toBeGreaterThanOrEqual(2);
      for (const c of cases) {
        expect(c.compare).toEqual({ mode: 'topk', path: '$.recommendations[*].item_id', k: 5, minOverlap: 0.8 });
        expect(c.payloadUri).toBe(`s3://aep-models/examples/recommender/payloads/${c.name}.json`);
        const payload = JSON.parse(readFileSync(join(out, 'payloads', `${c.name}.json`), 'utf8'));
        const baseline = JSON.parse(readFileSync(join(out, 'baselines', `${c.name}.json`), 'utf8'));
        expect(await ask(servers.v1, payload)).toEqual(baseline);
        expect(overlap(ids(await ask(servers.v2, payload)), ids(baseline))).toBeGreaterThanOrEqual(0.8);
        expect(overlap(ids(await ask(servers.broken, payload)), ids(baseline))).toBeLessThan(0.8);
      }
    }
  });

  it('the Python standard-library container serves the same model with the same answers', async () => {
    const payload = JSON.parse(readFileSync(join(out, 'payloads', 'sneakers-top5.json'), 'utf8'));
    const [node, py] = await Promise.all([ask(servers.v1, payload), ask(python, payload)]);
    expect(ids(py)).toEqual(ids(node));
  });
});
