import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameworkOf } from '../../local/hosting/framework-images';
import { Hosting, type DeploymentSpec } from '../../local/hosting/hosting';
import { resolveImage, SCRIPT_MODE_SERVER } from '../../local/hosting/image-resolution';
import { LocalAwsClients } from '../../local/hosting/local-aws-clients';
import { parseLocalConfig, type LocalConfigFile } from '../../local/local-config';
import { eventually } from '../helpers/scenario';
import { REPO_ROOT, survivors } from './sagemaker.harness';

const PYTORCH = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker';

describe('framework images are recognised by pattern', () => {
  test.each([
    [PYTORCH, 'pytorch'],
    ['763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3-cpu', 'pytorch'],
    ['871362719292.dkr.ecr.ap-east-1.amazonaws.com/pytorch-inference:1.13.1-gpu-py39', 'pytorch'],
    ['727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:2.1.0-cpu-py310', 'pytorch'],
    [`763104351884.dkr.ecr.us-gov-west-1.amazonaws.com/pytorch-inference@sha256:${'a'.repeat(64)}`, 'pytorch'],
    ['763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.13-cpu', 'tensorflow'],
    ['763104351884.dkr.ecr.us-west-2.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-cpu-py310-ubuntu22.04', 'huggingface'],
    ['683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3', 'sklearn'],
    ['141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1', 'xgboost'],
  ])('%s → %s', (image, framework) => {
    expect(frameworkOf(image)).toBe(framework);
  });

  test.each([
    ['your own repository of the same name', '123456789012.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3-cpu'],
    ['a training image', '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-cpu'],
    ['scikit-learn from a DLC account', '763104351884.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1'],
    ['no tag', '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference'],
    ['another registry', 'docker.io/pytorch/pytorch:2.3'],
    ['a local image', 'local/echo:latest'],
  ])('not %s', (_, image) => {
    expect(frameworkOf(image)).toBeUndefined();
  });
});

describe('an image URI → its local process', () => {
  const config = (file: LocalConfigFile = {}) => parseLocalConfig({ images: { 'local/echo:latest': { command: ['node', 'examples/echo/serve.mjs'] } }, ...file }, REPO_ROOT);

  test('a framework image runs the script-mode emulator with the configured Python and its framework', () => {
    expect(resolveImage(config({ frameworks: { python: '/opt/py/bin/python3' } }), PYTORCH, 'm')).toEqual({
      kind: 'framework',
      command: ['/opt/py/bin/python3', '-B', SCRIPT_MODE_SERVER, '--framework', 'pytorch', 'serve'],
      env: {},
    });
  });

  test('an "images" entry overrides the pattern (here: the real image with Docker)', () => {
    expect(resolveImage(config({ images: { [PYTORCH]: { docker: true } } }), PYTORCH, 'm').kind).toBe('docker');
  });

  test('an unmapped image fails with what is mapped and what is recognised', () => {
    expect(() => resolveImage(config(), 'acme/model:1', 'm')).toThrow(
      /Image acme\/model:1 of model m has no local command: map it under "images" in aep\.local\.json \(mapped: local\/echo:latest; the file is reloaded when you save it, then deploy again\), or run it with Docker .* Recognised without a mapping \(SageMaker framework images, script mode\): <AWS account>\.dkr\.ecr\.<region>\.amazonaws\.com\/\{pytorch-inference,.*sagemaker-scikit-learn,sagemaker-xgboost\}:<any tag>\./,
    );
  });

  test('frameworks.enabled false: framework images need a mapping like any other', () => {
    expect(() => resolveImage(config({ frameworks: { enabled: false } }), PYTORCH, 'm')).toThrow(/has no local command/);
  });

  test('an entry is a command or Docker, never both', () => {
    expect(() => config({ images: { x: { command: ['a'], docker: true } } })).toThrow(/give either "command" or "docker": true/);
    expect(() => config({ images: { x: { command: ['a'], runArgs: ['--cpus', '1'] } } })).toThrow(/"runArgs" needs "docker": true/);
  });
});

/**
 * Docker is not installed as an engine on the test machines: a stand-in `docker` first on PATH records its arguments
 * and plays the container (test/local/fixtures/fake-docker.cjs). Untested against a real engine.
 */
describe('images run with Docker', () => {
  const noAws = new LocalAwsClients(() => {
    throw new Error('no S3 in this test');
  });
  let dir: string;
  let log: string;
  let hosting: Hosting | undefined;
  const savedPath = process.env.PATH;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aep-docker-'));
    log = join(dir, 'calls.jsonl');
    const docker = join(dir, 'bin', 'docker');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(docker, `#!/bin/sh\nFAKE_DOCKER_LOG='${log}' exec '${process.execPath}' '${join(__dirname, 'fixtures', 'fake-docker.cjs')}' "$@"\n`);
    chmodSync(docker, 0o755);
    process.env.PATH = `${join(dir, 'bin')}:${savedPath}`;
  });
  afterEach(async () => {
    await hosting?.close();
    hosting = undefined;
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; env: Record<string, string> }) : []);
  const start = (file: LocalConfigFile) => {
    hosting = new Hosting({ dataDir: join(dir, 'data'), aws: noAws, config: parseLocalConfig({ ...file, hosting: { healthCheckTimeoutSeconds: 60, stopGraceSeconds: 1 } }, REPO_ROOT) });
    return hosting;
  };
  const spec = (image: string, environment: Record<string, string> = {}): DeploymentSpec => ({
    endpointName: 'dock',
    endpointConfigName: 'dock-config',
    variants: [{ variantName: 'AllTraffic', modelName: 'dock-model', image, environment, instanceType: 'ml.m5.large', instanceCount: 1 }],
  });

  test('"docker": true runs `docker run … <image> serve` with the port contract, the model at /opt/ml/model and the model environment; stop stops it', async () => {
    const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/custom-model:7';
    const h = start({ images: { [image]: { docker: true, runArgs: ['--cpus', '2'], env: { FROM_IMAGE: 'yes' } } }, docker: { runArgs: ['--network', 'bridge'] } });
    await h.deploy(spec(image, { MODEL_SETTING: 'on' }));
    const [instance] = h.instances('dock');

    const answer = await fetch(`${instance.process.url}/invocations`, { method: 'POST', body: 'ping?' });
    const seen = (await answer.json()) as { env: Record<string, string> };
    expect(seen).toMatchObject({ image, command: 'serve', target: '/opt/ml/model', model: ['.aep-model.json'], body: 'ping?' });
    expect(seen.env).toMatchObject({ MODEL_SETTING: 'on', FROM_IMAGE: 'yes' });
    for (const hostOnly of ['PATH', 'HOME', 'SM_MODEL_DIR', 'SAGEMAKER_BIND_TO_PORT']) expect(seen.env).not.toHaveProperty(hostOnly);

    const [run] = calls();
    const name = run.argv[run.argv.indexOf('--name') + 1];
    expect(run.argv.slice(0, 4)).toEqual(['run', '--rm', '--name', name]);
    expect(name).toMatch(/^aep-dock-[0-9a-f]{8}$/);
    expect(run.argv).toEqual(expect.arrayContaining(['-p', `127.0.0.1:${instance.process.port}:8080`]));
    expect(run.argv[run.argv.indexOf('-v') + 1]).toMatch(/hosting\/models\/dock-model\/[0-9a-f]+:\/opt\/ml\/model:ro$/);
    expect(run.argv.slice(-6)).toEqual(['--network', 'bridge', '--cpus', '2', image, 'serve']);

    const pid = instance.process.pid!;
    await h.stop('dock');
    expect(await survivors([pid], 30_000)).toEqual([]);
    // The engine is asked to stop the container from outside the process group, so it may land a moment later.
    await eventually(async () => expect(calls().map((c) => c.argv)).toContainEqual(['stop', '--time', '1', name]), 60_000);
  }, 180_000);

  test('docker.unmappedImages: an image with no entry runs with Docker instead of failing', async () => {
    const h = start({ docker: { unmappedImages: true } });
    await h.deploy(spec('acme/model:1'));
    expect(calls()[0].argv.slice(-2)).toEqual(['acme/model:1', 'serve']);
  });

  test('no Docker CLI: the endpoint fails saying so', async () => {
    const h = start({ images: { 'acme/model:1': { docker: true } }, docker: { command: join(dir, 'no-such-docker') } });
    await expect(h.deploy(spec('acme/model:1'))).rejects.toThrow(/exited with code 127.*cannot run .*no-such-docker/s);
  });
});
