import * as path from 'node:path';

/**
 * The Lambda functions of the workflow, one per Task state of statemachines/deploy-async-endpoint.asl.json.
 * The CDK stack and the embedded AWS both read this list, so a step added here is deployed and run locally alike.
 */
export interface PipelineStep {
  /** The folder under functions/ holding `handler.ts` (which exports `handler`). */
  readonly folder: string;
  /** The Task's name in the ASL file; `${<name>FunctionArn}` is its placeholder. */
  readonly name: string;
  /**
   * The Lambda timeout. Every Task in the ASL file has TimeoutSeconds 300, so none may exceed it; steps that only
   * call one control-plane API get a short timeout so a hung call fails (and is retried) quickly.
   */
  readonly timeoutSeconds: number;
  readonly description: string;
}

export const PIPELINE_STEPS: readonly PipelineStep[] = [
  {
    folder: 'validate-input',
    name: 'ValidateInput',
    timeoutSeconds: 60,
    description: 'Merges defaults, deploy.json and the input; checks names, referenced S3 objects and the artifact',
  },
  {
    folder: 'acquire-lock',
    name: 'AcquireLock',
    timeoutSeconds: 30,
    description: 'Takes the per-endpoint lock object (If-None-Match: *), or reports who holds it',
  },
  { folder: 'create-model', name: 'CreateModel', timeoutSeconds: 30, description: 'Creates the SageMaker model' },
  {
    folder: 'create-endpoint-config',
    name: 'CreateEndpointConfig',
    timeoutSeconds: 30,
    description: 'Creates the asynchronous endpoint config (S3 output/failure paths, SNS topics)',
  },
  {
    folder: 'deploy-endpoint',
    name: 'DeployEndpoint',
    timeoutSeconds: 60,
    description: 'Creates the endpoint, or updates it to the new config',
  },
  {
    folder: 'describe-endpoint',
    name: 'DescribeEndpoint',
    timeoutSeconds: 30,
    description: 'Polls the endpoint status',
  },
  {
    // Also the target of the endpoint state-change rule and the subscriber of the async success/error topics.
    folder: 'await-event',
    name: 'AwaitEvent',
    timeoutSeconds: 30,
    description: 'Event-driven waits: records a task token, and resumes it on an endpoint state change or async notification',
  },
  {
    // CopyObject of a payload up to 5 GB is one server-side request that can take minutes.
    folder: 'smoke-invoke',
    name: 'SmokeInvoke',
    timeoutSeconds: 240,
    description: 'Copies a smoke payload to the async input prefix and calls InvokeEndpointAsync',
  },
  {
    folder: 'check-output',
    name: 'CheckOutput',
    timeoutSeconds: 30,
    description: 'Looks for the async output or failure object',
  },
  {
    // Reads the output and the baseline (possibly a real-time invocation of a reference endpoint, up to 60 s).
    folder: 'compare-to-baseline',
    name: 'CompareToBaseline',
    timeoutSeconds: 180,
    description: 'Compares a smoke output with its baseline and writes the report',
  },
  {
    folder: 'promote-endpoint',
    name: 'PromoteEndpoint',
    timeoutSeconds: 60,
    description: 'Updates production to the config the candidate passed with (deployment guardrails, capacity kept)',
  },
  {
    folder: 'finalize',
    name: 'Finalize',
    timeoutSeconds: 180,
    description: 'Audit record, lock release, clean-up beyond retainPrevious, autoscaling, deployment event',
  },
  {
    folder: 'rollback',
    name: 'Rollback',
    timeoutSeconds: 180,
    description: 'Deletes what the execution created or restores the previous endpoint config',
  },
  {
    folder: 'record-failure',
    name: 'RecordFailure',
    timeoutSeconds: 60,
    description: 'Audit record of the failure, lock release, deployment event',
  },
];

/** The definitionSubstitutions key of a step: `${ValidateInputFunctionArn}` in the ASL file. */
export function substitutionKey(step: PipelineStep): string {
  return `${step.name}FunctionArn`;
}

/** The folder holding infra/, functions/ and statemachines/: the repository, or dist/ of the installed package. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The absolute path of a step's handler source. */
export function handlerEntry(step: PipelineStep): string {
  return path.join(PROJECT_ROOT, 'functions', step.folder, 'handler.ts');
}

/**
 * Where `npm run build` puts a step's pre-bundled code (index.js and its source map) under a build's root: dist/ of
 * the package holds them next to the compiled infra/, so from the repository's sources (no lambda/ folder) the
 * stack always bundles the current handlers itself.
 */
export function stepBundleDir(step: PipelineStep, root: string = PROJECT_ROOT): string {
  return path.join(root, 'lambda', step.folder);
}

/** The workflow definition every runtime loads. */
export const ASL_FILE = path.join(PROJECT_ROOT, 'statemachines', 'deploy-async-endpoint.asl.json');

/**
 * How every step is bundled (esbuild, through NodejsFunction): one definition, so the benchmark measures exactly
 * what the stack deploys. CommonJS output; the AWS SDK is bundled, not taken from the runtime.
 */
export const STEP_BUNDLING = {
  minify: true,
  sourceMap: true,
  // Without the original sources the map still resolves stack traces, at a fraction of the size.
  sourcesContent: false,
  target: 'node22',
  // Prefer the packages' ES module builds: esbuild tree-shakes them, which drops unused SDK clients and
  // commands (describe-endpoint: 1.3 MB with the CommonJS builds, 0.8 MB with these).
  mainFields: ['module', 'main'],
} as const;
