import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freeLoopbackPort } from '../../local/hosting/free-port';
import { SCRIPT_MODE_SERVER } from '../../local/hosting/image-resolution';
import { REPO_ROOT } from './sagemaker.harness';

/**
 * The script-mode emulator on its own: a model directory written by each test, the server started as the hosting
 * starts it (SM_MODEL_DIR, SAGEMAKER_BIND_TO_PORT), real HTTP requests. The interpreter is aep.local.json's
 * frameworks.python (it has numpy: .ci/run installs python3-numpy).
 */
const PYTHON = (JSON.parse(readFileSync(join(REPO_ROOT, 'aep.local.json'), 'utf8')) as { frameworks: { python: string } }).frameworks.python;

interface Emulator {
  url: string;
  modelDir: string;
  stderr(): string;
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function emulator(files: Record<string, string | Buffer>, env: Record<string, string> = {}, framework = 'pytorch'): Promise<Emulator> {
  const modelDir = mkdtempSync(join(tmpdir(), 'aep-script-mode-'));
  dirs.push(modelDir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(modelDir, path)), { recursive: true });
    writeFileSync(join(modelDir, path), content);
  }
  const port = await freeLoopbackPort();
  const child = spawn(PYTHON, ['-B', SCRIPT_MODE_SERVER, '--framework', framework, 'serve'], {
    env: { PATH: process.env.PATH ?? '', SM_MODEL_DIR: modelDir, SAGEMAKER_BIND_TO_PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { url: `http://127.0.0.1:${port}`, modelDir, stderr: () => stderr, exited };
}

/** GET /ping until `status` (or the process exits), polling with a generous bound. */
async function pingUntil(e: Emulator, status: number): Promise<number | 'exited'> {
  let done = false;
  void e.exited.then(() => (done = true));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (done) return 'exited';
    const got = await fetch(`${e.url}/ping`).then((r) => r.status, () => 0);
    if (got === status) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${status} from /ping within 30 s; stderr:\n${e.stderr()}`);
}

async function ready(files: Record<string, string | Buffer>, env: Record<string, string> = {}, framework = 'pytorch'): Promise<Emulator> {
  const e = await emulator(files, env, framework);
  const got = await pingUntil(e, 200);
  if (got !== 200) throw new Error(`the emulator exited:\n${e.stderr()}`);
  return e;
}

async function invoke(e: Emulator, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${e.url}/invocations`, { method: 'POST', body, headers });
  return { status: res.status, contentType: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

const text = (answer: { body: Buffer }) => answer.body.toString('utf8');

describe('handler resolution, as transformer.py resolves it', () => {
  test('input_fn → predict_fn → output_fn, Content-Type and Accept passed through, (body, type) tuples honoured', async () => {
    const e = await ready({
      'code/inference.py': [
        'import json',
        'def model_fn(model_dir): return {"scale": 3}',
        'def input_fn(body, content_type): return {"x": json.loads(body)["x"], "ct": content_type}',
        'def predict_fn(data, model): return {"y": [v * model["scale"] for v in data["x"]], "ct": data["ct"]}',
        'def output_fn(prediction, accept): return json.dumps(dict(prediction, accept=accept)), "application/vnd.test+json"',
      ].join('\n'),
    });
    const answer = await invoke(e, '{"x": [1, 2]}', { 'content-type': 'application/json', accept: 'application/x-custom' });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/vnd.test+json');
    expect(JSON.parse(text(answer))).toEqual({ y: [3, 6], ct: 'application/json', accept: 'application/x-custom' });
  });

  test('no Accept (or */*) means SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT; an output_fn returning only a body answers with that type', async () => {
    const e = await ready(
      { 'code/inference.py': 'def model_fn(d): return None\ndef predict_fn(data, model): return data\ndef input_fn(b, ct): return b\ndef output_fn(p, accept): return "accept=" + accept\n' },
      { SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv' },
    );
    for (const headers of [{}, { accept: '*/*' }] as Record<string, string>[]) {
      const answer = await invoke(e, 'x', { 'content-type': 'text/plain', ...headers });
      expect([answer.status, answer.contentType, text(answer)]).toEqual([200, 'text/csv', 'accept=text/csv']);
    }
  });

  test('transform_fn alone serves, and a handler with one more parameter gets the context (model_dir, request headers)', async () => {
    const e = await ready({
      'code/inference.py': [
        'import json',
        'def model_fn(model_dir, context): return context.system_properties["model_dir"]',
        'def transform_fn(model, body, content_type, accept, context):',
        '    return json.dumps({"model": model, "custom": context.get_request_header(0, "X-Amzn-SageMaker-Custom-Attributes"), "body": body})',
      ].join('\n'),
    });
    const answer = await invoke(e, '{"a": 1}', { 'content-type': 'application/json', 'x-amzn-sagemaker-custom-attributes': 'trace=1' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(text(answer))).toEqual({ model: e.modelDir, custom: 'trace=1', body: '{"a": 1}' });
  });

  test('SAGEMAKER_PROGRAM names the module in code/', async () => {
    const e = await ready(
      { 'code/serve_me.py': 'def model_fn(d): return "me"\ndef transform_fn(m, b, ct, a): return m\n', 'code/inference.py': 'raise RuntimeError("not me")\n' },
      { SAGEMAKER_PROGRAM: 'serve_me.py' },
    );
    expect(text(await invoke(e, 'x'))).toBe('me');
  });

  test('transform_fn together with predict_fn: the container does not start, and says why', async () => {
    const e = await emulator({ 'code/inference.py': 'def model_fn(d): return 1\ndef transform_fn(m, b, c, a): return b\ndef predict_fn(d, m): return d\n' });
    expect(await pingUntil(e, 200)).toBe('exited');
    expect(await e.exited).toBe(1);
    expect(e.stderr()).toContain('Cannot use transform_fn implementation in conjunction with input_fn, predict_fn, and/or output_fn');
  });

  test('model_fn runs before /ping answers 200', async () => {
    const e = await emulator({
      'code/inference.py': 'import os, time\ndef model_fn(model_dir):\n    while not os.path.exists(os.path.join(model_dir, "go")): time.sleep(0.05)\n    return 1\ndef transform_fn(m, b, c, a): return "ok"\n',
    });
    expect(await pingUntil(e, 503)).toBe(503);
    expect((await invoke(e, 'x')).status).toBe(503);
    writeFileSync(join(e.modelDir, 'go'), '');
    expect(await pingUntil(e, 200)).toBe(200);
    expect(text(await invoke(e, 'x'))).toBe('ok');
  });

  test('model_fn raising: the container exits 1 with the traceback (the endpoint fails with it)', async () => {
    const e = await emulator({ 'code/inference.py': 'def model_fn(model_dir):\n    raise FileNotFoundError("no weights in " + model_dir)\n' });
    expect(await e.exited).toBe(1);
    expect(e.stderr()).toMatch(/code\/inference\.py", line 2, in model_fn/);
    expect(e.stderr()).toContain('FileNotFoundError: no weights in');
    expect(e.stderr()).toContain('the model did not load');
  });

  test('/opt/ml/model/... in the user code is the extracted model directory', async () => {
    const e = await ready({
      'weights.json': '{"w": 7}',
      'code/inference.py': [
        'import json, os, pathlib',
        'def model_fn(model_dir):',
        '    with open("/opt/ml/model/weights.json") as f: w = json.load(f)["w"]',
        '    return {"w": w, "listed": sorted(os.listdir("/opt/ml/model")), "exists": pathlib.Path("/opt/ml/model/code/inference.py").exists()}',
        'def transform_fn(model, body, content_type, accept): return json.dumps(model)',
      ].join('\n'),
    });
    expect(JSON.parse(text(await invoke(e, 'x')))).toEqual({ w: 7, listed: ['code', 'weights.json'], exists: true });
  });
});

describe('the toolkit default handlers (numpy)', () => {
  // scikit-learn's container: the user gives model_fn; input_fn, predict_fn (model.predict) and output_fn are defaults.
  const sklearnModel = {
    'code/inference.py': 'class Doubler:\n    def predict(self, x): return x * 2\ndef model_fn(model_dir): return Doubler()\n',
  };

  test('JSON in, JSON out', async () => {
    const e = await ready(sklearnModel, {}, 'sklearn');
    const answer = await invoke(e, '[[1, 2], [3, 4.5]]', { 'content-type': 'application/json', accept: 'application/json' });
    expect([answer.status, answer.contentType]).toEqual([200, 'application/json']);
    expect(JSON.parse(text(answer))).toEqual([[2, 4], [6, 9]]);
  });

  test('CSV in, CSV out', async () => {
    const e = await ready(sklearnModel, {}, 'sklearn');
    const answer = await invoke(e, '1,2\n3,4\n', { 'content-type': 'text/csv', accept: 'text/csv' });
    expect([answer.status, answer.contentType, text(answer)]).toEqual([200, 'text/csv', '2.0,4.0\n6.0,8.0\n']);
  });

  test('NPY in, NPY out (and back through NPY in, JSON out)', async () => {
    // The iris example's model.pth is a (5, 3) float64 matrix in .npy format; its first row is [0.4, 0.1, -0.5].
    execFileSync(process.execPath, [join(REPO_ROOT, 'examples', 'iris-script-mode', 'build.mjs')], { stdio: 'ignore' });
    const model = join(tmpdir(), `aep-npy-${process.pid}`);
    dirs.push(model);
    mkdirSync(model, { recursive: true });
    execFileSync('tar', ['xzf', join(REPO_ROOT, 'examples', 'iris-script-mode', 'build', 'v1', 'model.tar.gz'), '-C', model, 'model.pth']);
    const e = await ready(sklearnModel, {}, 'sklearn');
    const doubled = await invoke(e, readFileSync(join(model, 'model.pth')), { 'content-type': 'application/x-npy', accept: 'application/x-npy' });
    expect([doubled.status, doubled.contentType, doubled.body.subarray(0, 6).toString('latin1')]).toEqual([200, 'application/x-npy', '\x93NUMPY']);
    const quadrupled = await invoke(e, doubled.body, { 'content-type': 'application/x-npy', accept: 'application/json' });
    const matrix = JSON.parse(text(quadrupled)) as number[][];
    expect([matrix.length, matrix[0].length]).toEqual([5, 3]);
    expect(matrix[0]).toEqual([1.6, 0.4, -2]);
  });

  test('a content type no default decodes: 500 with the toolkit message', async () => {
    const e = await ready(sklearnModel, {}, 'sklearn');
    const answer = await invoke(e, 'hello', { 'content-type': 'text/plain' });
    expect(answer.status).toBe(500);
    expect(text(answer)).toContain('Content type text/plain is not supported by this framework.');
  });

  test('numpy missing from the interpreter: the default decoder answers 500 saying so, instead of failing obscurely', async () => {
    const e = await ready({ ...sklearnModel, 'code/numpy/__init__.py': 'raise ImportError("No module named numpy (hidden by this test)")\n' }, {}, 'sklearn');
    const answer = await invoke(e, '[1]', { 'content-type': 'application/json' });
    expect(answer.status).toBe(500);
    expect(text(answer)).toMatch(/numpy is not installed in .*python.*decoding application\/json with the default input_fn/);
  });

  test('the PyTorch default model_fn without torch: the container exits naming torch and what to do', async () => {
    const e = await emulator({ 'model.pth': 'weights' });
    expect(await e.exited).toBe(1);
    expect(e.stderr()).toMatch(/torch is not installed in .*torch\.jit\.load/);
  });
});

describe('errors and limits', () => {
  test('a handler exception: 500, the message then the traceback starting at the user code', async () => {
    const e = await ready({ 'code/inference.py': 'def model_fn(d): return 1\ndef input_fn(b, ct): return b\ndef predict_fn(data, model):\n    raise KeyError("feature_7")\n' });
    const answer = await invoke(e, 'x', { 'content-type': 'text/plain' });
    expect(answer.status).toBe(500);
    expect(text(answer)).toMatch(/^'feature_7'\nTraceback \(most recent call last\):\n {2}File ".*code\/inference\.py", line 4, in predict_fn/);
    expect(text(answer)).not.toContain('aep_toolkit.py');
  });

  test('an exception carrying status_code and message (BaseInferenceToolkitError) answers with that status', async () => {
    const e = await ready({
      'code/inference.py': [
        'class BadInput(Exception):',
        '    def __init__(self, message): self.status_code, self.message, self.phrase = 422, message, message',
        'def model_fn(d): return 1',
        'def transform_fn(m, b, c, a): raise BadInput("age must be positive")',
      ].join('\n'),
    });
    const answer = await invoke(e, 'x');
    expect(answer.status).toBe(422);
    expect(text(answer)).toMatch(/^age must be positive\nTraceback/);
  });

  test('a request slower than SAGEMAKER_MODEL_SERVER_TIMEOUT is answered 500 naming the setting', async () => {
    const e = await ready(
      { 'code/inference.py': 'import time\ndef model_fn(d): return 1\ndef transform_fn(m, b, c, a):\n    time.sleep(60)\n    return "late"\n' },
      { SAGEMAKER_MODEL_SERVER_TIMEOUT: '1' },
    );
    const answer = await invoke(e, 'x');
    expect(answer.status).toBe(500);
    expect(text(answer)).toContain('SAGEMAKER_MODEL_SERVER_TIMEOUT (1 s)');
  });

  test('a body over SAGEMAKER_MAX_PAYLOAD_IN_MB is answered 413', async () => {
    const e = await ready({ 'code/inference.py': 'def model_fn(d): return 1\ndef transform_fn(m, b, c, a): return "ok"\n' }, { SAGEMAKER_MAX_PAYLOAD_IN_MB: '1' });
    expect((await invoke(e, Buffer.alloc(1024 * 1024 + 1))).status).toBe(413);
    expect((await invoke(e, Buffer.alloc(1024))).status).toBe(200);
  });

  test('code/requirements.txt with packages the interpreter lacks: said at start-up, and the model still serves', async () => {
    const e = await ready({
      'code/requirements.txt': '# pinned\nnumpy\naep-no-such-package==1.0  # comment\n--extra-index-url https://example.invalid/simple\n',
      'code/inference.py': 'def model_fn(d): return 1\ndef transform_fn(m, b, c, a): return "ok"\n',
    });
    expect(e.stderr()).toMatch(/code\/requirements\.txt lists packages that .* does not have: aep-no-such-package==1\.0\. .*installs nothing/);
    expect(e.stderr()).not.toMatch(/does not have: .*numpy/);
    expect(text(await invoke(e, 'x'))).toBe('ok');
  });

  test('inference.py importing sagemaker_inference (errors, encoder) works without the package installed', async () => {
    const e = await ready({
      'code/inference.py': [
        'from sagemaker_inference import content_types, encoder, errors',
        'def model_fn(d): return 1',
        'def transform_fn(m, body, content_type, accept):',
        '    if content_type != content_types.JSON: raise errors.GenericInferenceToolkitError(415, "JSON only")',
        '    return encoder.encode([1, 2], content_types.JSON)',
      ].join('\n'),
    });
    expect(text(await invoke(e, '{}', { 'content-type': 'application/json' }))).toBe('[1, 2]');
    const refused = await invoke(e, 'x', { 'content-type': 'text/plain' });
    expect([refused.status, text(refused).split('\n')[0]]).toEqual([415, 'JSON only']);
  });

  test('Hugging Face images answer a handler error 400 with the message as JSON, as their toolkit does', async () => {
    const e = await ready(
      { 'code/inference.py': 'def model_fn(d):\n    return lambda inputs, **kw: [{"label": inputs.upper(), **kw}]\n' },
      {},
      'huggingface',
    );
    const ok = await invoke(e, '{"inputs": "hi", "parameters": {"top_k": 1}}', { 'content-type': 'application/json' });
    expect([ok.status, JSON.parse(text(ok))]).toEqual([200, [{ label: 'HI', top_k: 1 }]]);
    const bad = await invoke(e, '{"inputs": 3}', { 'content-type': 'application/json' });
    expect([bad.status, JSON.parse(text(bad))]).toEqual([400, { code: 400, type: 'InternalServerException', message: "'int' object has no attribute 'upper'" }]);
  });

  test('TensorFlow Serving handlers (input_handler/output_handler): the container does not start, and says to use Docker', async () => {
    const e = await emulator({ 'code/inference.py': 'def input_handler(data, context): return data\ndef output_handler(r, context): return r\n' }, {}, 'tensorflow');
    expect(await e.exited).toBe(1);
    expect(e.stderr()).toMatch(/defines input_handler, output_handler, which the TensorFlow Serving container runs against TensorFlow Serving.*Docker/);
  });
});
