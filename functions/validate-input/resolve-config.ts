import type * as z from 'zod';
import {
  BUILT_IN_DEFAULTS,
  mergeLayers,
  type DeployFile,
  type DeploymentDefaults,
  type executionInputSchema,
  type ResolvedConfig,
  type ResolvedRelease,
  type SmokeTest,
} from '../lib/deployment-input';
import { ENDPOINT_NAME_MAX, isValidSageMakerName, resourceNames } from '../lib/names';
import { isReferenceEndpoint } from '../lib/reference-endpoints';
import { parseS3Uri } from '../lib/s3-uri';

export type ParsedExecutionInput = z.output<typeof executionInputSchema>;

export interface ResolveArgs {
  input: ParsedExecutionInput;
  deployFile?: DeployFile;
  defaults: DeploymentDefaults;
  /** Buckets the pipeline may read (models and artifacts): IAM grants nothing else. */
  /** The only bucket the SageMaker execution role may read model artifacts from. */
  modelsBucket: string;
  /** Buckets smoke payloads and baselines may live in. */
  allowedBuckets: string[];
  namePrefix: string;
  /** Endpoint name patterns a baseline may be invoked from: IAM lets CompareToBaseline invoke nothing else. */
  referenceEndpoints: string[];
  executionArn: string;
}

export type Resolution = { config: ResolvedConfig; problems: [] } | { config?: undefined; problems: string[] };

type Layer = Parameters<typeof mergeLayers>[number];

/**
 * Merges BUILT_IN_DEFAULTS ← stack defaults ← deploy.json ← execution input and checks everything that needs no
 * AWS call. Returns every problem at once, each naming its field, so one failed run shows everything to fix.
 */
export function resolveConfig(args: ResolveArgs): Resolution {
  // Nested objects (async, poll, timeouts, autoscaling) merge by key, so a layer's partial objects are fine.
  const merged = mergeLayers(
    BUILT_IN_DEFAULTS,
    args.defaults as Layer,
    (args.deployFile ?? {}) as Layer,
    args.input as Layer,
  );
  const problems: string[] = [];
  const modelDataUrl = args.input.modelDataUrl;

  const derivedEndpoint = endpointNameFromKey(parseS3Uri(modelDataUrl)?.key ?? '');
  const endpointName = merged.endpointName ?? derivedEndpoint;
  if (endpointName === undefined) {
    problems.push(
      `endpointName: not set, and none can be derived from modelDataUrl ${modelDataUrl} (no folder after "models/" ` +
        `in its key); set endpointName or upload to models/<endpoint>/…/model.tar.gz`,
    );
  } else {
    const origin = merged.endpointName === undefined ? ` (derived from the folder after models/ in modelDataUrl)` : '';
    problems.push(...endpointNameProblems(endpointName, origin, args));
  }

  if (!merged.image) {
    problems.push('image: not set; give it in the execution input, in deploy.json next to the artifact, or as the stack default image');
  }

  const smokeTests = merged.smokeTests ?? [];
  problems.push(...bucketProblems(modelDataUrl, smokeTests, args.modelsBucket, args.allowedBuckets));
  const seen = new Map<string, number>();
  smokeTests.forEach((test, i) => {
    const first = seen.get(test.name);
    if (first !== undefined) {
      problems.push(`smokeTests[${i}].name: "${test.name}" is also the name of smokeTests[${first}]; case names must be unique (they name outputs and reports)`);
    }
    seen.set(test.name, first ?? i);
    if ('endpointName' in test.baseline && test.baseline.endpointName === endpointName) {
      problems.push(
        `smokeTests[${i}].baseline.endpointName: "${endpointName}" is the endpoint being deployed; ` +
          'the baseline must be another endpoint (e.g. the real-time one) or an S3 object (baseline.uri)',
      );
    } else if ('endpointName' in test.baseline && !isReferenceEndpoint(test.baseline.endpointName, args.referenceEndpoints)) {
      problems.push(
        `smokeTests[${i}].baseline.endpointName: "${test.baseline.endpointName}" is not one of the pipeline's reference ` +
          `endpoints (${args.referenceEndpoints.join(', ')}), the only ones its role may invoke (sagemaker:InvokeEndpoint); ` +
          'add it to the stack\'s referenceEndpoints and redeploy, or use an S3 baseline (baseline.uri)',
      );
    }
  });

  if (problems.length > 0 || endpointName === undefined || !merged.image) return { problems };
  const d = merged as typeof merged & typeof BUILT_IN_DEFAULTS;
  return {
    problems: [],
    config: {
      modelDataUrl,
      endpointName,
      image: merged.image,
      instanceType: d.instanceType,
      instanceCount: d.instanceCount,
      environment: d.environment,
      async: d.async,
      smokeTests,
      poll: d.poll,
      timeouts: d.timeouts,
      onFailure: d.onFailure,
      retainPrevious: d.retainPrevious,
      ...(merged.autoscaling ? { autoscaling: merged.autoscaling } : {}),
      release: resolveRelease(d.release, smokeTests),
      adopt: args.input.adopt ?? false,
    },
  };
}

/** Fills what the layers left out of `release`; verify is off when no case is marked for it. */
function resolveRelease(merged: Partial<ResolvedRelease>, smokeTests: SmokeTest[]): ResolvedRelease {
  const defaults = BUILT_IN_DEFAULTS.release;
  return {
    strategy: merged.strategy ?? defaults.strategy,
    routing: { waitIntervalSeconds: 0, ...(merged.routing ?? defaults.routing) },
    alarms: merged.alarms ?? defaults.alarms,
    createAlarms: merged.createAlarms ?? defaults.createAlarms,
    verify: (merged.verify ?? defaults.verify) && smokeTests.some((test) => test.verify !== false),
  };
}

/** `models/recommender/v2/model.tar.gz` → `recommender`: the folder right after `models/`. */
export function endpointNameFromKey(key: string): string | undefined {
  return /(?:^|\/)models\/([^/]+)\//.exec(key)?.[1];
}

function endpointNameProblems(name: string, origin: string, args: ResolveArgs): string[] {
  const problems: string[] = [];
  if (!isValidSageMakerName(name)) {
    problems.push(`endpointName: "${name}"${origin} must be 1-63 letters, digits and single hyphens, starting with a letter or digit`);
  } else if (name.length > ENDPOINT_NAME_MAX) {
    problems.push(
      `endpointName: "${name}"${origin} is ${name.length} characters; at most ${ENDPOINT_NAME_MAX}, so that the ` +
        `model and endpoint-config names derived from it (name + "-" + run id) fit SageMaker's 63`,
    );
  } else {
    const derived = resourceNames(name, args.executionArn);
    for (const [what, value] of [['model', derived.model], ['endpoint config', derived.endpointConfig]]) {
      if (!isValidSageMakerName(value)) problems.push(`endpointName: the derived ${what} name "${value}" is not a valid SageMaker name`);
    }
  }
  if (!name.startsWith(args.namePrefix)) {
    problems.push(
      `endpointName: "${name}"${origin} must start with "${args.namePrefix}", the pipeline's name prefix ` +
        '(its IAM role may only manage SageMaker resources with that prefix)',
    );
  }
  return problems;
}

function bucketProblems(
  modelDataUrl: string,
  smokeTests: ResolvedConfig['smokeTests'],
  modelsBucket: string,
  allowed: string[],
): string[] {
  const problems = smokeTestObjects(smokeTests)
    .filter(({ uri }) => !allowed.includes(parseS3Uri(uri)?.bucket ?? ''))
    .map(({ field, uri }) => `${field}: ${uri} is outside the pipeline's buckets (${allowed.join(', ')}); copy it into one of them`);
  if (parseS3Uri(modelDataUrl)?.bucket !== modelsBucket) {
    // SageMaker reads the artifact with the pipeline's execution role, which may read the models bucket only.
    problems.unshift(`modelDataUrl: ${modelDataUrl} is outside the models bucket (${modelsBucket}); upload the artifact there`);
  }
  return problems;
}

/** The S3 objects the smoke tests read (payloads, baseline documents), with the field naming each, in input order. */
export function smokeTestObjects(smokeTests: ResolvedConfig['smokeTests']): { field: string; uri: string }[] {
  const objects: { field: string; uri: string }[] = [];
  smokeTests.forEach((test, i) => {
    objects.push({ field: `smokeTests[${i}].payloadUri`, uri: test.payloadUri });
    if ('uri' in test.baseline) objects.push({ field: `smokeTests[${i}].baseline.uri`, uri: test.baseline.uri });
  });
  return objects;
}
