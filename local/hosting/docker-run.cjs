'use strict';
/**
 * One endpoint instance as a Docker container, the way SageMaker runs an inference image:
 *   docker run --rm --name <unique> -p 127.0.0.1:<SAGEMAKER_BIND_TO_PORT>:8080 -v <SM_MODEL_DIR>:/opt/ml/model:ro
 *     -e <each model environment variable> [runArgs…] <image> serve
 * The container listens on 8080 as SageMaker requires; the host side is the instance's port, so the embedded AWS
 * pings and invokes it like any local model server. The container gets the model's environment (everything this
 * process was given except the host's own PATH, HOME, locale and the two variables translated above).
 *
 * Stopping: the supervisor SIGTERMs this process group; we then ask the engine to stop the container (SIGTERM, then
 * SIGKILL after the grace period) from a process outside the group, so it finishes even when the group is SIGKILLed.
 *
 * Usage: node docker-run.cjs <docker CLI> <grace seconds> <image> [docker run args...]
 */
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');

const [docker, graceArg, image, ...runArgs] = process.argv.slice(2);
const HOST_ONLY = new Set(['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SYSTEMROOT', 'SM_MODEL_DIR', 'SAGEMAKER_BIND_TO_PORT', 'AEP_ENDPOINT_NAME', 'AEP_VARIANT_NAME']);

const endpoint = (process.env.AEP_ENDPOINT_NAME || 'endpoint').toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
const name = `aep-${endpoint}-${randomBytes(4).toString('hex')}`;
const env = Object.keys(process.env).filter((key) => !HOST_ONLY.has(key)).sort();
const args = [
  'run', '--rm', '--name', name,
  '-p', `127.0.0.1:${process.env.SAGEMAKER_BIND_TO_PORT}:8080`,
  '-v', `${process.env.SM_MODEL_DIR}:/opt/ml/model:ro`,
  ...env.flatMap((key) => ['-e', key]),
  ...runArgs,
  image, 'serve',
];

const run = spawn(docker, args, { stdio: ['ignore', 'inherit', 'inherit'] });
run.on('error', (error) => {
  process.stderr.write(`cannot run ${docker}: ${error.message}. Is Docker installed and on PATH?\n`);
  process.exit(127);
});
run.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  const grace = String(Math.max(1, Math.ceil(Number(graceArg) || 5)));
  spawn(docker, ['stop', '--time', grace, name], { stdio: 'ignore', detached: true }).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
