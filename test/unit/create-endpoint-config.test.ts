import {
  CreateEndpointConfigCommand,
  DescribeEndpointConfigCommand,
  ListTagsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/create-endpoint-config/handler';
import { TAGS } from '../../functions/lib/names';
import { awsError, EXECUTION, pipelineState, setTestEnvironment, TEST_ENV } from './fixtures';

const sm = mockClient(SageMakerClient);
const state = pipelineState();
const configArn = `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${state.names.endpointConfig}`;
const kmsKey = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

beforeEach(() => {
  setTestEnvironment();
  sm.reset();
  sm.on(DescribeEndpointConfigCommand).rejects(awsError('ValidationException', 'Could not find endpoint configuration "x".'));
  sm.on(CreateEndpointConfigCommand).resolves({ EndpointConfigArn: configArn });
});

it('creates the async endpoint config: one AllTraffic variant, output/failure paths, topics, concurrency', async () => {
  await expect(handler(state)).resolves.toEqual({ name: state.names.endpointConfig, arn: configArn, createdNow: true });
  const input = sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input;
  expect(input).toEqual({
    EndpointConfigName: state.names.endpointConfig,
    ProductionVariants: [
      { VariantName: 'AllTraffic', ModelName: state.names.model, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
    ],
    AsyncInferenceConfig: {
      ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
      OutputConfig: {
        S3OutputPath: 's3://aep-artifacts/async-outputs/recommender/',
        S3FailurePath: 's3://aep-artifacts/async-outputs/recommender/',
        NotificationConfig: {
          SuccessTopic: TEST_ENV.ASYNC_SUCCESS_TOPIC_ARN,
          ErrorTopic: TEST_ENV.ASYNC_ERROR_TOPIC_ARN,
          IncludeInferenceResponseIn: ['SUCCESS_NOTIFICATION_TOPIC', 'ERROR_NOTIFICATION_TOPIC'],
        },
      },
    },
    Tags: [
      { Key: TAGS.pipeline, Value: 'aep' },
      { Key: TAGS.execution, Value: EXECUTION.id },
      { Key: TAGS.endpoint, Value: 'recommender' },
    ],
  });
});

it('encrypts outputs and volumes with the configured KMS key', async () => {
  setTestEnvironment({ KMS_KEY_ARN: kmsKey });
  await handler(state);
  const input = sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input;
  expect(input.KmsKeyId).toBe(kmsKey);
  expect(input.AsyncInferenceConfig?.OutputConfig?.KmsKeyId).toBe(kmsKey);
});

it('carries on when this execution already created it (a retry)', async () => {
  sm.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigArn: configArn });
  sm.on(ListTagsCommand).resolves({ Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
  await expect(handler(state)).resolves.toEqual({ name: state.names.endpointConfig, arn: configArn, createdNow: false });
  expect(sm).not.toHaveReceivedCommand(CreateEndpointConfigCommand);
});

it('fails with EndpointCreationFailed when the name is taken by an untagged config', async () => {
  sm.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigArn: configArn });
  sm.on(ListTagsCommand).resolves({ Tags: [] });
  await expect(handler(state)).rejects.toMatchObject({
    name: 'EndpointCreationFailed',
    message: expect.stringContaining('tag is absent'),
  });
});

it('turns a SageMaker refusal into EndpointCreationFailed', async () => {
  sm.on(CreateEndpointConfigCommand).rejects(awsError('ResourceLimitExceeded', 'The account-level service limit for ml.m5.large is 0'));
  await expect(handler(state)).rejects.toMatchObject({
    name: 'EndpointCreationFailed',
    message: expect.stringContaining('ResourceLimitExceeded: The account-level service limit'),
  });
});
