import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { connect } from '../../cli/aws-connection';
import { InfrastructureError, UsageError, WaitTimeout } from '../../cli/cli-errors';
import { followExecution } from '../../cli/execution-follower';
import { colorEnabled, createOutput } from '../../cli/output';
import { PipelineLocator } from '../../cli/pipeline-locator';
import { lockDataDir, serverFilePath } from '../../local/server-file';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:aep-deploy-async-endpoint';
const aws = { local: false, describe: 'AWS' };
const local = { local: true, endpointUrl: 'http://127.0.0.1:4566', describe: 'http://127.0.0.1:4566' };

beforeEach(() => {
  cfn.reset();
  sfn.reset();
});

describe('finding the pipeline', () => {
  it('reads the state machine and artifacts bucket from the stack outputs, with one DescribeStacks', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'AepPipeline' }).resolves({
      Stacks: [{ StackName: 'AepPipeline', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [
        { OutputKey: 'StateMachineArn', OutputValue: SM },
        { OutputKey: 'ArtifactsBucketName', OutputValue: 'aeppipeline-artifacts-1a2b' },
      ] }],
    });
    const locator = new PipelineLocator(aws);
    expect(await locator.stateMachineArn()).toBe(SM);
    expect(await locator.artifactsBucket()).toBe('aeppipeline-artifacts-1a2b');
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('a missing stack is an infrastructure error (exit 3) that says what to do', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    const error = await new PipelineLocator(aws, { stackName: 'Nope' }).stateMachineArn().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as InfrastructureError).exitCode).toBe(3);
    expect((error as InfrastructureError).message).toContain('Stack Nope does not exist');
    expect((error as InfrastructureError).hint).toContain('--state-machine-arn');
  });

  it('on the embedded AWS, picks aep-deploy-async-endpoint from ListStateMachines (paged)', async () => {
    sfn
      .on(ListStateMachinesCommand)
      .resolvesOnce({ stateMachines: [{ name: 'other', stateMachineArn: 'arn:x', type: 'STANDARD', creationDate: new Date() }], nextToken: 't' })
      .resolvesOnce({ stateMachines: [{ name: 'aep-deploy-async-endpoint', stateMachineArn: SM, type: 'STANDARD', creationDate: new Date() }] });
    expect(await new PipelineLocator(local).stateMachineArn()).toBe(SM);
  });

  it('an endpoint without the pipeline is an infrastructure error', async () => {
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    await expect(new PipelineLocator(local).stateMachineArn()).rejects.toThrow(/No state machine named aep-deploy-async-endpoint at http:\/\/127\.0\.0\.1:4566/);
  });

  it('rejects a --state-machine-arn that is not one (exit 2)', async () => {
    await expect(new PipelineLocator(aws, { stateMachineArn: 'aep' }).stateMachineArn()).rejects.toBeInstanceOf(UsageError);
  });
});

describe('following an execution', () => {
  it('gives up at the deadline with WaitTimeout (exit 3), naming where the run is', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: `${SM}:x`, name: 'x', status: 'RUNNING', stateMachineArn: SM, startDate: new Date() });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [{ id: 1, timestamp: new Date(), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'DescribeEndpoint' } }],
    });
    const error = await followExecution({ executionArn: `${SM}:x`, deadline: Date.now() + 50, pollIntervalMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeout);
    expect((error as WaitTimeout).exitCode).toBe(3);
    expect((error as WaitTimeout).message).toContain('now in DescribeEndpoint');
  });
});

describe('connection and output conventions', () => {
  it('--local: the embedded AWS on AEP_PORT with dummy credentials when there are none', () => {
    const env: NodeJS.ProcessEnv = { AEP_PORT: '4577' };
    expect(connect({ local: true }, env)).toMatchObject({ endpointUrl: 'http://127.0.0.1:4577', local: true });
    expect(env).toMatchObject({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4577', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test' });
    const withProfile: NodeJS.ProcessEnv = { AWS_PROFILE: 'dev', AWS_REGION: 'eu-west-1' };
    connect({ endpointUrl: 'http://127.0.0.1:9000/' }, withProfile);
    expect(withProfile.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(withProfile.AWS_REGION).toBe('eu-west-1');
    expect(() => connect({ local: true }, { AEP_PORT: 'abc' })).toThrow(UsageError);
  });

  it("follows the AWS CLI's environment conventions: AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, --profile / AWS_PROFILE", () => {
    const defaultRegion: NodeJS.ProcessEnv = { AWS_DEFAULT_REGION: 'eu-central-1' };
    connect({}, defaultRegion);
    expect(defaultRegion.AWS_REGION).toBe('eu-central-1');
    const both: NodeJS.ProcessEnv = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-central-1' };
    connect({}, both);
    expect(both.AWS_REGION).toBe('eu-west-1');
    const flag: NodeJS.ProcessEnv = { AWS_REGION: 'eu-west-1' };
    connect({ region: 'ap-south-1', profile: 'ops' }, flag);
    expect(flag).toMatchObject({ AWS_REGION: 'ap-south-1', AWS_PROFILE: 'ops' });
    // AWS_ENDPOINT_URL alone means an AWS-compatible endpoint (the embedded AWS): found as --endpoint-url would be.
    const endpoint: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4599' };
    expect(connect({}, endpoint)).toMatchObject({ endpointUrl: 'http://127.0.0.1:4599', local: true });
    expect(() => connect({}, { AWS_ENDPOINT_URL: 'nonsense' })).toThrow(/AWS_ENDPOINT_URL must be a URL/);
  });

  it('--local finds the port `aep local up` was started on through the data dir, unless AEP_PORT says otherwise', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aep-cli-local-'));
    try {
      const lock = lockDataDir(dataDir);
      lock.publish('http://127.0.0.1:4711');
      expect(connect({ local: true }, { AEP_DATA_DIR: dataDir })).toMatchObject({ endpointUrl: 'http://127.0.0.1:4711' });
      expect(connect({ local: true }, { AEP_DATA_DIR: dataDir, AEP_PORT: '4712' })).toMatchObject({ endpointUrl: 'http://127.0.0.1:4712' });
      expect(() => lockDataDir(dataDir)).toThrow(/in use by another embedded AWS at http:\/\/127\.0\.0\.1:4711/);
      lock.release();
      expect(connect({ local: true }, { AEP_DATA_DIR: dataDir })).toMatchObject({ endpointUrl: 'http://127.0.0.1:4566' });
      // Another live process holds it (here: our parent): refused. A server that died (no such pid): taken over.
      writeFileSync(serverFilePath(dataDir), JSON.stringify({ url: 'http://127.0.0.1:4713', pid: process.ppid, startedAt: '' }));
      expect(() => lockDataDir(dataDir)).toThrow(/in use by another embedded AWS at http:\/\/127\.0\.0\.1:4713/);
      writeFileSync(serverFilePath(dataDir), JSON.stringify({ url: 'http://127.0.0.1:4714', pid: 2 ** 22 + 1, startedAt: '' }));
      lockDataDir(dataDir).release();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('colour only on a terminal and never with NO_COLOR; the live view only on a terminal', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    const stream = (isTTY: boolean) => Object.assign(new PassThrough(), { isTTY });
    expect(createOutput({ stderr: stream(false), env: {} }).live).toBe(false);
    expect(createOutput({ stderr: stream(true), env: {} }).live).toBe(true);
    expect(createOutput({ stderr: stream(true), env: { CI: 'true' } }).live).toBe(false);
  });
});
