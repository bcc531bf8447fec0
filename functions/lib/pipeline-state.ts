import type { ResolvedConfig, SmokeTest } from './deployment-input';
import type { ResourceNames } from './names';

/**
 * The JSON document that flows through the state machine. Each Task writes its result under one key (its
 * ResultPath in the ASL file), so every step sees what the steps before it did. Keep these plain JSON.
 */

export interface ExecutionRef {
  /** The execution ARN ($$.Execution.Id). */
  id: string;
  name: string;
  startTime: string;
}

export interface ArtifactIdentity {
  uri: string;
  bucket: string;
  key: string;
  etag: string;
  versionId?: string;
  sizeBytes: number;
  lastModified?: string;
}

/** $.lock — AcquireLock. */
export interface LockState {
  acquired: boolean;
  key: string;
  /** The execution holding the lock when it is not us. */
  holder?: string;
  firstAttemptAt: string;
  attempts: number;
  nextPollSeconds: number;
}

/** $.model and $.endpointConfig — CreateModel, CreateEndpointConfig. */
export interface CreatedResource {
  name: string;
  arn: string;
  /** False when a retry found the resource already created by this execution. */
  createdNow: boolean;
}

/**
 * How this run releases: `new` creates the endpoint and tests it; `candidate` tests a temporary endpoint and then
 * promotes production; `in-place` updates production and then tests it.
 */
export type ReleaseStrategy = 'new' | 'candidate' | 'in-place';

/** $.deployment — DeployEndpoint. */
export interface DeploymentState {
  /** create: the endpoint did not exist; update: it did (whatever the strategy). */
  action: 'create' | 'update';
  strategy: ReleaseStrategy;
  /** The temporary endpoint of the candidate strategy. */
  candidateEndpointName?: string;
  /** The config the endpoint served before this run: what Rollback restores. */
  previousConfigName?: string;
  /** The endpoint carried no pipeline tag and "adopt": true took it over (tagged it). */
  adopted?: boolean;
  /** In-place: the DeploymentConfig UpdateEndpoint was given. */
  deploymentConfig?: Record<string, unknown>;
  /** Production had 0 instances when the run began (see functions/lib/scaled-to-zero.ts): it is left at 0. */
  scaledToZero?: ScaledToZero;
  startedAt: string;
}

/** Production scaled to zero, and what this run changed to test it without waiting for a scale-out (in-place). */
export interface ScaledToZero {
  /** This run suspended the scaling registration's dynamic scale-in; it is resumed when the run ends. */
  scaleInSuspended: boolean;
}

/** Which endpoint the WaitForEndpoint loop and the smoke tests are about: before the verdict, or after promotion. */
export type TestPhase = 'gate' | 'verify';

/** $.endpoint — DescribeEndpoint, once per poll. */
export interface EndpointPoll {
  /** The endpoint polled: production, or the candidate. */
  endpointName: string;
  phase: TestPhase;
  status: string;
  configName?: string;
  failureReason?: string;
  ready: boolean;
  /** Once ready: the smoke cases to run against it (all at the gate; those marked verify after promotion). */
  cases?: SmokeTest[];
  /** After promotion: why the verification's cases were not run (production at 0 instances). */
  verifySkipped?: string;
  polls: number;
  nextPollSeconds: number;
  checkedAt: string;
}

/** $.promotion — PromoteEndpoint: production updated to the config the candidate passed with. */
export interface PromotionState {
  endpointName: string;
  fromConfigName?: string;
  toConfigName: string;
  /** The DeploymentConfig given to UpdateEndpoint (routing, alarms). */
  deploymentConfig: Record<string, unknown>;
  alarms: string[];
  /** The candidate endpoint's delete was requested (it is not needed once production moves). */
  candidateDeleted: boolean;
  /** The gate's smoke results: $.smoke is overwritten by the verification. */
  gate?: SmokeResults;
  startedAt: string;
}

/** The input of one SmokeTests iteration (the Map's ItemSelector). */
export interface SmokeCaseState {
  case: SmokeTest;
  index: number;
  /** The release's endpoint (production): it names the case's S3 objects. */
  endpointName: string;
  /** The endpoint invoked: the candidate at the gate, production otherwise (default endpointName). */
  target?: string;
  phase?: TestPhase;
  execution: ExecutionRef;
  poll: ResolvedConfig['poll'];
  timeouts: ResolvedConfig['timeouts'];
  /** config.async.invocationTimeoutSeconds, sent with InvokeEndpointAsync. */
  invocationTimeoutSeconds?: number;
  invocation?: SmokeInvocation;
  output?: OutputPoll;
}

/** $.invocation inside an iteration — SmokeInvoke. */
export interface SmokeInvocation {
  inferenceId: string;
  inputLocation: string;
  outputLocation: string;
  failureLocation?: string;
  invokedAt: string;
}

/** $.output inside an iteration — CheckOutput, once per poll. */
export interface OutputPoll {
  ready: boolean;
  polls: number;
  nextPollSeconds: number;
  checkedAt: string;
}

/** What CompareToBaseline returns: one iteration's result, an element of $.smoke.cases. */
export interface SmokeCaseResult {
  name: string;
  passed: boolean;
  mode: 'exact' | 'numeric' | 'topk';
  metrics: Record<string, number>;
  /** One sentence saying why the case failed; absent when it passed. */
  cause?: string;
  inferenceId: string;
  outputUri: string;
  reportUri: string;
  /** Seconds from InvokeEndpointAsync to the output appearing in S3. */
  latencySeconds: number;
  /** The endpoint that answered, and whether before the verdict (gate) or after promotion (verify). */
  endpointName?: string;
  phase?: TestPhase;
}

/** $.smoke — the SmokeTests Map's ResultSelector. */
export interface SmokeResults {
  cases: SmokeCaseResult[];
  /** True when a case did not match its baseline; Verdict? fails the gate on it. */
  anyFailed: boolean;
  /** Set by NoSmokeCases: the deployment had no smoke cases, so nothing gated it. */
  noCases?: true;
}

/** $.error (a Catch) and $.rollbackError. */
export interface CaughtError {
  Error: string;
  Cause: string;
}

/** $.rollback — Rollback, once per poll while restoring the previous config. */
export interface RollbackState {
  complete: boolean;
  /** What Rollback did, in words: "restored endpoint recommender to config recommender-0a1b2c3d4e", "deleted model …". */
  actions: string[];
  /** Resources deliberately left (onFailure: keep). */
  kept: string[];
  nextPollSeconds: number;
}

/** $.result — Finalize; also the execution's output (the Succeed state's OutputPath). */
export interface DeploymentResult {
  endpointName: string;
  endpointArn?: string;
  endpointConfigName: string;
  modelName: string;
  action: 'create' | 'update';
  strategy: ReleaseStrategy;
  candidateEndpointName?: string;
  previousConfigName?: string;
  adopted?: boolean;
  promotion?: { startedAt: string; endedAt: string; routing: string; alarms: string[] };
  /** Production answered with the new model before the verdict (in-place, or a new endpoint): see Exposure. */
  exposure: Exposure;
  verdict: 'passed';
  cases: SmokeCaseResult[];
  auditUri: string;
  deletedResources: string[];
  autoscaling?: { resourceId: string; minCapacity: number; maxCapacity: number };
  /** Production was at 0 instances: what the release did to leave it there. */
  scaledToZero?: { actions: string[] };
}

/** Whether production served the new model before the gate's verdict, and why (audit record and events). */
export interface Exposure {
  productionServedBeforeVerdict: boolean;
  reason: string;
}

/** The state after ValidateInput: what every later step can rely on. */
export interface PipelineState {
  execution: ExecutionRef;
  config: ResolvedConfig;
  names: ResourceNames;
  artifact: ArtifactIdentity;
  lock?: LockState;
  model?: CreatedResource;
  endpointConfig?: CreatedResource;
  deployment?: DeploymentState;
  endpoint?: EndpointPoll;
  smoke?: SmokeResults;
  promotion?: PromotionState;
  error?: CaughtError;
  rollback?: RollbackState;
  rollbackError?: CaughtError;
  result?: DeploymentResult;
}

/**
 * What ValidateInput and RecordFailure receive (their Parameters in the ASL): the raw state plus the context
 * object's execution fields, because ValidateInput runs before `$.execution` exists and RecordFailure may follow
 * a ValidateInput that failed.
 */
export interface WithExecution<T> {
  state: T;
  execution: ExecutionRef;
}
