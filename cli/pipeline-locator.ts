import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { Option, type Command } from 'commander';
import { sfn } from '../functions/lib/clients';
import { PIPELINE_RESOURCE_NAMES as LOCAL_PIPELINE } from '../local/pipeline-resources';
import type { AwsConnection } from './aws-connection';
import { InfrastructureError, UsageError } from './cli-errors';

/** The CDK stack's default name (infra/app.ts; `-c aep:stackName=…` changes it) and the outputs the CLI reads. */
export const DEFAULT_STACK_NAME = 'AepPipeline';
export const STACK_OUTPUTS = { stateMachineArn: 'StateMachineArn', artifactsBucket: 'ArtifactsBucketName', modelsBucket: 'ModelsBucketName' } as const;


export interface LocatorOptions {
  stateMachineArn?: string;
  stackName?: string;
  artifactsBucket?: string;
}

/** Adds --state-machine-arn / --stack-name (and optionally --artifacts-bucket) to a command. */
export function addLocatorOptions(command: Command, { stateMachine = true, artifactsBucket = false } = {}): Command {
  if (stateMachine) command.addOption(new Option('--state-machine-arn <arn>', 'the pipeline state machine (default: from the stack outputs)').conflicts('stackName'));
  command.addOption(new Option('--stack-name <name>', `the deployed aep stack (default: ${DEFAULT_STACK_NAME})`));
  if (artifactsBucket) command.addOption(new Option('--artifacts-bucket <bucket>', 'the artifacts bucket (default: from the stack outputs)'));
  return command;
}

/**
 * Finds the deployed pipeline: an explicit flag wins; in AWS, the stack's CloudFormation outputs; on the embedded
 * AWS, the names it creates at start-up. Lookups are memoised, one DescribeStacks per command at most.
 */
export class PipelineLocator {
  private outputs?: Promise<Record<string, string>>;

  constructor(
    private readonly connection: AwsConnection,
    private readonly options: LocatorOptions = {},
  ) {}

  async stateMachineArn(): Promise<string> {
    if (this.options.stateMachineArn) {
      if (!/^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/.test(this.options.stateMachineArn)) {
        throw new UsageError(`--state-machine-arn is not a state machine ARN: ${this.options.stateMachineArn}`);
      }
      return this.options.stateMachineArn;
    }
    if (this.connection.local && !this.options.stackName) return this.localStateMachineArn();
    return this.stackOutput(STACK_OUTPUTS.stateMachineArn);
  }

  async modelsBucket(): Promise<string> {
    if (this.connection.local && !this.options.stackName) return LOCAL_PIPELINE.modelsBucket;
    return this.stackOutput(STACK_OUTPUTS.modelsBucket);
  }

  async artifactsBucket(): Promise<string> {
    if (this.options.artifactsBucket) return this.options.artifactsBucket;
    if (this.connection.local && !this.options.stackName) return LOCAL_PIPELINE.artifactsBucket;
    return this.stackOutput(STACK_OUTPUTS.artifactsBucket);
  }

  private get stackName(): string {
    return this.options.stackName ?? DEFAULT_STACK_NAME;
  }

  private async localStateMachineArn(): Promise<string> {
    let nextToken: string | undefined;
    do {
      const page = await sfn().send(new ListStateMachinesCommand({ nextToken }));
      const found = page.stateMachines?.find((m) => m.name === LOCAL_PIPELINE.stateMachine);
      if (found?.stateMachineArn) return found.stateMachineArn;
      nextToken = page.nextToken;
    } while (nextToken);
    throw new InfrastructureError(
      `No state machine named ${LOCAL_PIPELINE.stateMachine} at ${this.connection.describe}`,
      'Is this the embedded AWS (aep local up)? Otherwise pass --state-machine-arn.',
    );
  }

  private async stackOutput(key: string): Promise<string> {
    this.outputs ??= this.readStackOutputs();
    const value = (await this.outputs)[key];
    if (!value) {
      throw new InfrastructureError(
        `Stack ${this.stackName} has no output ${key}`,
        'Is it an aep stack? Pass the value explicitly (--state-machine-arn / --artifacts-bucket).',
      );
    }
    return value;
  }

  private async readStackOutputs(): Promise<Record<string, string>> {
    const client = new CloudFormationClient({ maxAttempts: Number(process.env.AEP_SDK_MAX_ATTEMPTS ?? 3) });
    try {
      const response = await client.send(new DescribeStacksCommand({ StackName: this.stackName }));
      const outputs = response.Stacks?.[0]?.Outputs ?? [];
      return Object.fromEntries(outputs.filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey!, o.OutputValue!]));
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
        throw new InfrastructureError(
          `Stack ${this.stackName} does not exist in ${process.env.AWS_REGION ?? 'this region'}`,
          'Deploy it (npx cdk deploy), pass --stack-name, or --state-machine-arn; use --local for the embedded AWS.',
        );
      }
      throw error;
    } finally {
      client.destroy();
    }
  }
}
