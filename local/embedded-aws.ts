import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { DeploymentDefaults } from '../functions/lib/deployment-input';
import { defaultReferenceEndpoints } from '../functions/lib/reference-endpoints';
import { createAdminService } from './admin';
import { createApplicationAutoScalingService, type ApplicationAutoScalingService } from './application-autoscaling/service';
import { createCloudWatchService, type CloudWatchService } from './cloudwatch/service';
import { snsAlarmAction } from './cloudwatch/sns-action';
import { createEventBridgeService, type EventBridgeService } from './eventbridge/service';
import { connectEventWaits } from './event-waits';
import { createConsoleService } from './console/console-service';
import { adminTokenPath, newAdminToken, writeAdminToken } from './admin-token';
import { Dispatcher } from './dispatcher';
import type { FaultCall, FaultInjector } from './faults';
import { installInProcessTransport } from './in-process-connections';
import { LocalIam } from './iam/local-iam';
import { createIamService } from './iam/service';
import { installFunctionEnvironment, pipelineFunctionEnvironment } from './lambda/function-environment';
import { installRoleCredentials } from './lambda/role-credentials';
import { invokeWithValue, stepFunction } from './lambda/step-function';
import { captureStepLogs, stepLogPath } from './lambda/step-logs';
import { describeLocalConfig, loadLocalConfig, type LocalConfig } from './local-config';
import { watchLocalConfig } from './local-config-watch';
import { PIPELINE_RESOURCE_NAMES, pipelineResources, type PipelineResources } from './pipeline-resources';
import { createS3Service, type S3Service } from './s3/service';
import { createSageMakerService, type SageMakerService } from './sagemaker/service';
import { endpointStateChangeEvent } from './sagemaker/state-change-event';
import { createSageMakerRuntimeService, type SageMakerRuntimeService } from './sagemaker-runtime/service';
import { createSnsService, type SnsService } from './sns/service';
import { createStsService } from './sts/service';
import { loadPipelineDefinition } from './stepfunctions/definition';
import { WorkflowRunner } from './stepfunctions/runner';
import { StepFunctionsService } from './stepfunctions/service';
import { lockDataDir, type DataDirLock } from './server-file';
import { RequestGuard } from './request-guard';
import { modelUploadTrigger } from './trigger';

export const DEFAULT_PORT = 4566;
export const DEFAULT_DATA_DIR = '.aep';

export interface EmbeddedAwsOptions {
  /** Default AEP_PORT, else 4566; 0 picks a free port. */
  port?: number;
  /** Default AEP_DATA_DIR, else `.aep` in the working directory. */
  dataDir?: string;
  /** aep.local.json (image → command); default `./aep.local.json` when present. */
  configPath?: string;
  /** An already-loaded local config (tests); wins over configPath. */
  config?: LocalConfig;
  /** Multiplies every Wait and retry interval of the pipeline; default AEP_LOCAL_WAIT_SCALE, else 1. */
  waitScale?: number;
  /** Default AWS_REGION, else us-east-1. */
  region?: string;
  /** The stack's deployment defaults (DEPLOYMENT_DEFAULTS of every step); default none. */
  defaults?: DeploymentDefaults;
  /**
   * Benchmarks only, off by default: SageMaker takes at least this many seconds (× waitScale, like the pipeline's
   * Waits) to create or update an endpoint, as real instance provisioning does, so poll loops run as in the cloud.
   */
  simulatedDeploymentSeconds?: number;
  /** Where the embedded AWS reports what it does (trigger starts, interrupted executions). Default: stderr. */
  log?: (line: string) => void;
  /** Also echo the step handlers' log lines here (`--verbose`: stderr). They always go to `<dataDir>/logs/steps.log`. */
  echoStepLogs?: (line: string) => void;
  /**
   * A synthesized template (`cdk.out/AepPipeline.template.json`): IAM is then enforced for the pipeline's own calls
   * against its roles' policies (local/iam). Default: none, nothing is evaluated.
   */
  iamTemplate?: string;
}

export interface EmbeddedAws {
  /** http://127.0.0.1:<port>: the endpoint URL for the SDKs, the AWS CLI and boto3. */
  url: string;
  region: string;
  dataDir: string;
  /** The step handlers' log lines (JSON, one per line, each with its step and execution id). */
  stepLogPath: string;
  waitScale: number;
  /** The pipeline's buckets, topics and state machine. */
  names: PipelineResources;
  /** The token the admin routes (`/_aep/…`) need in X-Aep-Admin-Token; also in `<dataDir>/admin-token`. */
  adminToken: string;
  /** The service modules, for in-process inspection (tests, `npm start`). */
  services: {
    s3: S3Service;
    sagemaker: SageMakerService;
    sagemakerRuntime: SageMakerRuntimeService;
    sns: SnsService;
    stepFunctions: StepFunctionsService;
    cloudwatch: CloudWatchService;
    events: EventBridgeService;
    applicationAutoScaling: ApplicationAutoScalingService;
  };
  faults: FaultInjector;
  /** Hears every API call served (service, operation, resource), for counting; returns the unsubscribe. */
  onCall(listener: (call: FaultCall) => void): () => void;
  /** The template IAM is enforced from, or undefined when IAM is not enforced. */
  iamTemplate?: string;
  /** Stops executions, model processes and the server, and restores the process environment. */
  close(): Promise<void>;
}

export class EmbeddedAwsStartError extends Error {
  override readonly name = 'EmbeddedAwsStartError';
}

/**
 * Starts the embedded AWS: one server on 127.0.0.1 with every service module, the pipeline's buckets, topics and
 * state machine ready (`aep-deploy-async-endpoint`, running statemachines/deploy-async-endpoint.asl.json with the
 * functions/<step> handlers in this process), and the S3 → Step Functions trigger of the models bucket.
 * The step handlers read process.env, so the environment the stack gives them (and AWS_ENDPOINT_URL = this
 * server) is set for the whole process while the embedded AWS runs.
 */
export async function startEmbeddedAws(options: EmbeddedAwsOptions = {}): Promise<EmbeddedAws> {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const dataDir = resolve(options.dataDir ?? process.env.AEP_DATA_DIR ?? DEFAULT_DATA_DIR);
  const port = options.port ?? numberSetting('AEP_PORT', DEFAULT_PORT);
  const waitScale = options.waitScale ?? numberSetting('AEP_LOCAL_WAIT_SCALE', 1);
  if (!(waitScale > 0) || !Number.isFinite(waitScale)) {
    throw new EmbeddedAwsStartError(`The wait scale must be a positive number (got ${waitScale}); 1 keeps AWS's timing, 0.01 makes waits 100× shorter`);
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  mkdirSync(dataDir, { recursive: true });
  const dataDirLock = lockDataDir(dataDir);
  try {
    return await startOn({ region, dataDir, port, waitScale, log, dataDirLock }, options);
  } catch (error) {
    dataDirLock.release();
    throw error;
  }
}

async function startOn(
  settings: { region: string; dataDir: string; port: number; waitScale: number; log: (line: string) => void; dataDirLock: DataDirLock },
  options: EmbeddedAwsOptions,
): Promise<EmbeddedAws> {
  const { region, dataDir, port, waitScale, log, dataDirLock } = settings;
  const config = options.config ?? loadLocalConfig(options.configPath);
  log(`local config ${describeLocalConfig(config)}${options.config ? '' : ' (reloaded when it changes)'}`);
  const stopWatchingConfig = options.config ? () => undefined : watchLocalConfig(config, { explicitPath: options.configPath, log });
  const names = pipelineResources(region);
  const functionEnvironment = pipelineFunctionEnvironment(names, options.defaults);
  const iam: LocalIam = new LocalIam({
    names,
    functionEnvironment,
    templatePath: options.iamTemplate,
    lookups: {
      sageMakerTags: (arn) => sagemaker.tagsOf(arn),
      topicKey: (arn): string | undefined => iam.stack?.topicKeys.get(arn),
      scalableTargetArn: (target) => applicationAutoScaling.scalableTargetArn(target),
    },
    log,
  });
  // The functions' name prefix and reference endpoints are the stack's, which its SageMaker ARN patterns are scoped to.
  if (iam.stack) {
    functionEnvironment.NAME_PREFIX = iam.stack.namePrefix;
    functionEnvironment.REFERENCE_ENDPOINTS = iam.stack.referenceEndpoints ?? JSON.stringify(defaultReferenceEndpoints(iam.stack.namePrefix));
  }
  const adminToken = newAdminToken();
  const dispatcher = new Dispatcher(region, undefined, iam.enforcement, new RequestGuard(adminToken, adminTokenPath(dataDir)));
  // the console is a page the developer opens from this server: same-origin browser requests, no token
  dispatcher.guard.allowBrowserRoute('/_aep/console/');
  // Every function runs with its own role's credentials (none without a template), as in AWS Lambda.
  const lambdaFunction = (arn: string) => stepFunction(arn, undefined, (step) => iam.stepSession(step));

  const stepFunctions = new StepFunctionsService({ dataDir, region, warn: log, faults: dispatcher.faults });
  const definition = loadPipelineDefinition(region);
  const runner = new WorkflowRunner({
    definition,
    functionFor: lambdaFunction,
    waitScale,
    roleArn: names.stateMachineRoleArn,
    faults: dispatcher.faults,
    tokens: stepFunctions.tokens,
    warn: log,
  });
  stepFunctions.createStateMachine({ name: PIPELINE_RESOURCE_NAMES.stateMachine, definition, runner, roleArn: names.stateMachineRoleArn });

  const s3 = createS3Service({
    dataDir,
    onObjectCreated: modelUploadTrigger({
      modelsBucket: names.modelsBucket,
      stateMachineArn: names.stateMachineArn,
      startExecution: (request) => stepFunctions.startExecution(request),
      log,
    }),
  });
  const invokeFunction = (arn: string, event: unknown) => invokeWithValue(lambdaFunction(arn), event);
  const events = createEventBridgeService({ dataDir, region, invokeFunction, faults: dispatcher.faults, log });
  const cloudwatch = createCloudWatchService({ dataDir, region, waitScale, faults: dispatcher.faults });
  const sagemaker = createSageMakerService({
    dataDir,
    endpointUrl: () => dispatcher.url,
    config,
    minimumDeploymentMs: (options.simulatedDeploymentSeconds ?? 0) * waitScale * 1000,
    onEndpointStateChange: (record) => events.emit(endpointStateChangeEvent(record)),
    containerAwsEnvironment: (roleArn) => iam.containerEnvironment(dispatcher.url, region, roleArn),
    faults: dispatcher.faults,
    log,
    cloudwatch,
    waitScale,
  });
  const iamService = createIamService({ dataDir, builtInRoles: () => iam.builtInRoles() });
  const sns = createSnsService({ dataDir, lambdas: { invokeFunction, faults: dispatcher.faults, log }, faults: dispatcher.faults });
  const sagemakerRuntime = createSageMakerRuntimeService({ sagemaker, s3, sns, faults: dispatcher.faults, cloudwatch, waitScale });
  cloudwatch.handleActions('arn:aws:sns:', snsAlarmAction(() => sagemaker.aws.sns, region));
  const applicationAutoScaling = createApplicationAutoScalingService({ dataDir, region, waitScale, sagemaker, cloudwatch, faults: dispatcher.faults });

  // First match serves: S3 claims every unsigned path-style request, so it goes last.
  dispatcher
    .register(createAdminService(dispatcher.faults))
    .register(createConsoleService({ names, stepFunctions, sns, sagemakerRuntime }))
    .register(stepFunctions)
    .register(sagemaker)
    .register(sagemakerRuntime)
    .register(sns)
    .register(cloudwatch)
    .register(events)
    .register(applicationAutoScaling)
    .register(createStsService({ sessions: iam.sessions, role: (arn) => iamService.role(arn) }))
    .register(iamService)
    .register(s3);

  let url: string;
  try {
    url = await dispatcher.listen(port);
    dataDirLock.publish(url);
  } catch (error) {
    stopWatchingConfig();
    await dispatcher.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new EmbeddedAwsStartError(
        `Port ${port} on 127.0.0.1 is already in use (another \`aep local up\`, or LocalStack?): stop it, or pick another port with --port / AEP_PORT (0 = any free port)`,
      );
    }
    throw error;
  }
  writeAdminToken(dataDir, adminToken);
  const releaseStepLogs = captureStepLogs(dataDir, options.echoStepLogs);
  const restoreEnvironment = installFunctionEnvironment(functionEnvironment, url, region);
  const removeRoleCredentials = installRoleCredentials();
  const removeInProcessTransport = installInProcessTransport();

  await s3.ensureBucket(names.modelsBucket, region);
  await s3.ensureBucket(names.artifactsBucket, region);
  await createTopics(url, region);
  await connectEventWaits(url, region, names, events);

  let closing: Promise<void> | undefined;
  return {
    url,
    region,
    dataDir,
    stepLogPath: stepLogPath(dataDir),
    waitScale,
    names,
    adminToken,
    services: { s3, sagemaker, sagemakerRuntime, sns, stepFunctions, cloudwatch, events, applicationAutoScaling },
    faults: dispatcher.faults,
    onCall: (listener) => dispatcher.onCall(listener),
    iamTemplate: iam.stack?.source,
    close() {
      closing ??= (async () => {
        // Executions first (they call the other services), then the modules (model processes) and the server.
        await stepFunctions.close();
        await dispatcher.close();
        stopWatchingConfig();
        removeRoleCredentials();
        removeInProcessTransport();
        restoreEnvironment();
        await releaseStepLogs();
        dataDirLock.release();
      })();
      return closing;
    },
  };
}

/** The pipeline's topics, made through the SNS API itself (CreateTopic is idempotent, so a restart keeps them). */
async function createTopics(url: string, region: string): Promise<void> {
  const client = new SNSClient({ endpoint: url, region, credentials: { accessKeyId: 'aep-local', secretAccessKey: 'aep-local' } });
  try {
    const n = PIPELINE_RESOURCE_NAMES;
    for (const name of [n.asyncSuccessTopic, n.asyncErrorTopic, n.deploymentEventsTopic]) {
      await client.send(new CreateTopicCommand({ Name: name }));
    }
  } finally {
    client.destroy();
  }
}

function numberSetting(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new EmbeddedAwsStartError(`${variable}=${raw} is not a number`);
  return value;
}
