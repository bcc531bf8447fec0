import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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

/**
 * Loads `aep.local.json`: the explicit path (`--config`) must exist; without one, `./aep.local.json` is used when
 * present, else the defaults (no images: every endpoint fails with "unknown image", which says what to add).
 */
export function loadLocalConfig(explicitPath?: string, cwd = process.cwd()): LocalConfig {
  const path = explicitPath ? resolve(cwd, explicitPath) : resolve(cwd, LOCAL_CONFIG_FILE);
  if (!existsSync(path)) {
    if (explicitPath) throw new LocalConfigError(`Config file ${path} does not exist`);
    return parseLocalConfig({}, cwd);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new LocalConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseLocalConfig(json, dirname(path), path);
}
