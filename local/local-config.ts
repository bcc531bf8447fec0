import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as z from 'zod';

/** Default file name, looked up in the working directory when no `--config` is given. */
export const LOCAL_CONFIG_FILE = 'aep.local.json';

const imageSchema = z
  .strictObject({
    /** argv of the model server; `node` means the Node running the embedded AWS. Relative paths resolve from `baseDir`. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Run the image itself with Docker (`docker run … <image> serve`), as SageMaker does. */
    docker: z.literal(true).optional(),
    /** Extra `docker run` arguments for this image (with `docker: true`), after the global `docker.runArgs`. */
    runArgs: z.array(z.string()).optional(),
    /** Extra environment for every process of this image (the model's Environment wins on conflicts). */
    env: z.record(z.string(), z.string()).optional(),
  })
  .refine((image) => (image.command === undefined) !== (image.docker === undefined), { message: 'give either "command" or "docker": true' })
  .refine((image) => image.runArgs === undefined || image.docker === true, { message: '"runArgs" needs "docker": true' });

export const localConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Image URI (as given to CreateModel) → the local command that plays that container. */
  images: z.record(z.string().min(1), imageSchema).default({}),
  /** SageMaker framework images (PyTorch, scikit-learn, XGBoost, TensorFlow, Hugging Face) run in the built-in script-mode emulator. */
  frameworks: z
    .strictObject({
      /** Recognise the AWS framework image URIs by pattern (false: only `images` entries run). */
      enabled: z.boolean().default(true),
      /** The Python that runs the emulator and the model's code/inference.py (e.g. one that has numpy or torch). */
      python: z.string().min(1).default('python3'),
    })
    .prefault({}),
  docker: z
    .strictObject({
      /** The Docker CLI. */
      command: z.string().min(1).default('docker'),
      /** Run images that are neither in `images` nor framework images with Docker, instead of failing the endpoint. */
      unmappedImages: z.boolean().default(false),
      /** Extra `docker run` arguments for every image run with Docker. */
      runArgs: z.array(z.string()).default([]),
    })
    .prefault({}),
  hosting: z
    .strictObject({
      /** How long a new process has to answer GET /ping with 200 (SageMaker's container health check). */
      healthCheckTimeoutSeconds: z.number().positive().max(3600).default(60),
      /** SIGTERM → SIGKILL grace when processes stop. */
      stopGraceSeconds: z.number().positive().max(300).default(5),
      /** Instances per instance type across all endpoints, like the account quota "ml.m5.large for endpoint usage". */
      maxInstancesPerType: z.number().int().min(1).max(1000).default(16),
      /** A model.tar.gz may expand to at most this many bytes (a gzip bomb fails the endpoint, not the machine). */
      maxModelBytes: z.number().int().positive().default(8 * 1024 ** 3),
      /** …and hold at most this many entries. */
      maxModelEntries: z.number().int().positive().default(100_000),
      /** An instance whose process dies is started again at most this many times in a row (a crash-looping model stays down). */
      maxRestarts: z.number().int().min(0).max(100).default(5),
      /** Wait before the first restart of a dead instance; doubles with each further restart, up to 60 s. */
      restartBackoffSeconds: z.number().positive().max(60).default(1),
    })
    .prefault({}),
});

export type LocalConfigFile = z.input<typeof localConfigSchema>;
export type ImageEntry = z.infer<typeof imageSchema>;
export type LocalConfig = z.infer<typeof localConfigSchema> & {
  /** Directory commands run in and resolve relative paths from: the config file's folder (the repo root by default). */
  baseDir: string;
  /** Where the config came from, for messages; undefined when defaults were used. */
  source?: string;
};

export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError';
}

/** Validates an in-memory config (tests, the CLI's flags) with the same rules as the file. */
export function parseLocalConfig(input: unknown, baseDir: string, source?: string): LocalConfig {
  const parsed = localConfigSchema.safeParse(input);
  if (!parsed.success) {
    const where = source ?? 'local config';
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new LocalConfigError(`${where} is invalid: ${issues}`);
  }
  return { ...parsed.data, baseDir, source };
}

/** The package's own aep.local.json: the example models' images, always there under whatever the user adds. */
export const BUILT_IN_CONFIG = resolve(__dirname, '..', LOCAL_CONFIG_FILE);

/**
 * Loads the local config in two layers: the built-in `aep.local.json` of the package (the examples' images), then
 * the user's — `--config FILE` (which must exist), else `./aep.local.json` when present — whose images add to the
 * built-in ones (the same image URI: the user's wins) and whose other settings override. Relative script paths of
 * each layer resolve from that layer's folder.
 */
export function loadLocalConfig(explicitPath?: string, cwd = process.cwd()): LocalConfig {
  const userPath = explicitPath ? resolve(cwd, explicitPath) : resolve(cwd, LOCAL_CONFIG_FILE);
  if (explicitPath && !existsSync(userPath)) throw new LocalConfigError(`Config file ${userPath} does not exist`);
  const builtIn = existsSync(BUILT_IN_CONFIG) ? readLayer(BUILT_IN_CONFIG) : {};
  const user = userPath !== BUILT_IN_CONFIG && existsSync(userPath) ? readLayer(userPath) : undefined;
  if (!user) return parseLocalConfig(builtIn, cwd, existsSync(BUILT_IN_CONFIG) ? BUILT_IN_CONFIG : undefined);
  const merged: Record<string, unknown> = { ...builtIn, ...user };
  for (const section of ['images', 'frameworks', 'docker', 'hosting']) {
    merged[section] = { ...(builtIn[section] as object | undefined), ...(user[section] as object | undefined) };
  }
  return parseLocalConfig(merged, dirname(userPath), userPath);
}

/** One config file as JSON, its image commands' relative script paths made absolute from its folder. */
function readLayer(path: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new LocalConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new LocalConfigError(`${path} must hold a JSON object`);
  const layer = json as Record<string, unknown>;
  const images = layer.images as Record<string, { command?: unknown }> | undefined;
  if (images && typeof images === 'object') {
    for (const entry of Object.values(images)) {
      if (entry && Array.isArray(entry.command)) entry.command = entry.command.map((a) => (typeof a === 'string' ? resolveCommandArg(dirname(path), a) : a));
    }
  }
  return layer;
}

/** Relative script paths in an image command resolve from the config's folder, so the server's cwd does not matter. */
export function resolveCommandArg(baseDir: string, arg: string): string {
  return !isAbsolute(arg) && /\.(mjs|cjs|js|py|sh)$/.test(arg) ? resolve(baseDir, arg) : arg;
}

/** What was loaded, in one line for the banner and the log. */
export function describeLocalConfig(config: LocalConfig): string {
  const images = Object.keys(config.images);
  return `${config.source ?? 'defaults'}: ${images.length} image${images.length === 1 ? '' : 's'} mapped (${images.join(', ') || 'none'})` +
    (config.frameworks.enabled ? `, framework images in script mode with ${config.frameworks.python}` : '');
}
