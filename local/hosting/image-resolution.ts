import { join } from 'node:path';
import { resolveCommandArg, type LocalConfig } from '../local-config';
import { HostingError } from './errors';
import { frameworkOf, recognisedFrameworkImages } from './framework-images';

/** The script-mode emulator (Python, standard library) that plays the SageMaker framework images. */
export const SCRIPT_MODE_SERVER = join(__dirname, 'script-mode', 'serve.py');
/** Runs one image with Docker for the lifetime of one instance (see docker-run.cjs). */
export const DOCKER_RUN = join(__dirname, 'docker-run.cjs');

/** How one image runs locally: the argv of its process and the environment the image itself adds. */
export interface ImageRun {
  command: string[];
  env: Record<string, string>;
  /** Which rule chose it, for logs and tests. */
  kind: 'command' | 'framework' | 'docker';
}

/**
 * An image URI → its local process, in this order: an `images` entry of aep.local.json (a command, or Docker);
 * an AWS framework image → the script-mode emulator; `docker.unmappedImages` → Docker; else a HostingError that
 * says what is mapped, what is recognised and how to add the image (it becomes the endpoint's FailureReason).
 */
export function resolveImage(config: LocalConfig, image: string, modelName: string): ImageRun {
  const entry = config.images[image];
  if (entry?.command) {
    const [program, ...args] = entry.command;
    // `node` means this Node, so a model server runs on the same runtime as the embedded AWS whatever the PATH.
    return { kind: 'command', command: [program === 'node' ? process.execPath : program, ...args.map((a) => resolveCommandArg(config.baseDir, a))], env: entry.env ?? {} };
  }
  if (entry?.docker) return dockerRun(config, image, entry.runArgs ?? [], entry.env ?? {});
  const framework = config.frameworks.enabled ? frameworkOf(image) : undefined;
  if (framework) return { kind: 'framework', command: [config.frameworks.python, '-B', SCRIPT_MODE_SERVER, '--framework', framework, 'serve'], env: {} };
  if (config.docker.unmappedImages) return dockerRun(config, image, [], {});
  const mapped = Object.keys(config.images);
  throw new HostingError(
    `Image ${image} of model ${modelName} has no local command: map it under "images" in ${config.source ?? 'aep.local.json'}` +
      ` (mapped: ${mapped.length ? mapped.join(', ') : 'none'}; the file is reloaded when you save it, then deploy again), or run it with Docker ("docker": true there, or "docker": {"unmappedImages": true}).` +
      (config.frameworks.enabled ? ` Recognised without a mapping (SageMaker framework images, script mode): ${recognisedFrameworkImages()}.` : ''),
  );
}

function dockerRun(config: LocalConfig, image: string, runArgs: string[], env: Record<string, string>): ImageRun {
  const args = [config.docker.command, String(config.hosting.stopGraceSeconds), image, ...config.docker.runArgs, ...runArgs];
  return { kind: 'docker', command: [process.execPath, DOCKER_RUN, ...args], env };
}

