import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { consoleUrl } from './console/console-service';
import { untilStopSignal } from './stop-signal';
import { adminTokenPath } from './admin-token';
import { startEmbeddedAws, type EmbeddedAws, type EmbeddedAwsOptions } from './embedded-aws';
import { ADMIN_TOKEN_HEADER } from './request-guard';
import { preloadStepHandlers } from './lambda/step-function';
import { PIPELINE_STEPS } from '../infra/step-functions';

export interface LocalUpOptions extends Pick<EmbeddedAwsOptions, 'port' | 'dataDir' | 'configPath' | 'waitScale' | 'region'> {
  /** Also print the step handlers' log lines on stderr. */
  verbose?: boolean;
  /** The synthesized template IAM is enforced from; default `cdk.out/AepPipeline.template.json` when it exists; false: never. */
  iamTemplate?: string | false;
}

/** Where `npm run synth` (`cdk synth`) writes the stack's template. */
export const DEFAULT_IAM_TEMPLATE = 'cdk.out/AepPipeline.template.json';

/** Where `aep local up` writes, and what stops it (tests pass their own). */
export interface LocalUpIo {
  out(line: string): void;
  err(line: string): void;
  /** Emits 'SIGINT' / 'SIGTERM'; default the process. */
  signals?: Pick<NodeJS.EventEmitter, 'once' | 'off'>;
  /** Called once the embedded AWS is up (tests use it to reach it). */
  onReady?(aws: EmbeddedAws): void;
}

const defaultIo: LocalUpIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * `aep local up`: starts the embedded AWS with the pipeline's state machine, buckets and topics, prints how to reach
 * them, and runs until SIGINT or SIGTERM, then shuts down cleanly — executions closed, every model process stopped.
 * Resolves with the exit code: 0 after a clean shutdown, 1 when it could not start.
 */
export async function runLocalUp(options: LocalUpOptions = {}, io: LocalUpIo = defaultIo): Promise<number> {
  let aws: EmbeddedAws;
  try {
    const { verbose, iamTemplate: template, ...start } = options;
    const iamTemplate = template === false ? undefined : (template ?? (existsSync(DEFAULT_IAM_TEMPLATE) ? DEFAULT_IAM_TEMPLATE : undefined));
    aws = await startEmbeddedAws({ ...start, iamTemplate, log: io.err, echoStepLogs: verbose ? io.err : undefined });
  } catch (error) {
    io.err(`aep local up: ${(error as Error).message}`);
    return 1;
  }
  for (const line of describeEmbeddedAws(aws, options.iamTemplate === false)) io.out(line);
  io.onReady?.(aws);
  // Serving already: the step handlers load while the developer gets to the first deployment.
  const stopPreloading = preloadStepHandlers(PIPELINE_STEPS.map((step) => step.folder));

  const signal = await untilStopSignal(io.signals);
  stopPreloading();
  io.out(`${signal}: stopping executions and model processes…`);
  await aws.close();
  io.out('Embedded AWS stopped.');
  return 0;
}

/** What `aep local up` prints once it is listening: the URL, the names, and how to point the tools at it. */
export function describeEmbeddedAws(aws: EmbeddedAws, iamDisabled = false): string[] {
  const n = aws.names;
  const iam = aws.iamTemplate
    ? `enforced from ${relative(process.cwd(), aws.iamTemplate) || aws.iamTemplate}: the pipeline's calls are evaluated against its roles' policies`
    : iamDisabled
      ? 'not enforced (--no-iam)'
      : `not enforced: no ${DEFAULT_IAM_TEMPLATE} (run \`npm run synth\`, or pass --iam-template FILE)`;
  return [
    `aep embedded AWS listening on ${aws.url} (region ${aws.region})`,
    `  console              ${consoleUrl(aws.url)}  (open it in a browser on this machine)`,
    `  data dir             ${aws.dataDir}`,
    `  step logs            ${aws.stepLogPath}`,
    `  models bucket        s3://${n.modelsBucket}  (upload models/<endpoint>/<version>/model.tar.gz to deploy)`,
    `  artifacts bucket     s3://${n.artifactsBucket}`,
    `  state machine        ${n.stateMachineArn}`,
    `  async success topic  ${n.asyncSuccessTopicArn}`,
    `  async error topic    ${n.asyncErrorTopicArn}`,
    `  deployment events    ${n.deploymentEventsTopicArn}`,
    `  IAM                  ${iam}`,
    ...(aws.waitScale === 1 ? [] : [`  wait scale           ${aws.waitScale} (pipeline waits and retries × ${aws.waitScale})`]),
    `  admin token          ${adminTokenPath(aws.dataDir)}  (${ADMIN_TOKEN_HEADER} header of the /_aep/ admin routes; new each start)`,
    '',
    `Point the AWS CLI, boto3 and the SDKs at it:  export AWS_ENDPOINT_URL=${aws.url}`,
    `  aws s3 cp deploy.json s3://${n.modelsBucket}/models/recommender/v1/deploy.json`,
    `  aws s3 cp model.tar.gz s3://${n.modelsBucket}/models/recommender/v1/model.tar.gz`,
    `  aws stepfunctions list-executions --state-machine-arn ${n.stateMachineArn}`,
    'Press Ctrl+C to stop.',
  ];
}
