import { CreateModelCommand, DescribeModelCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/create-model/handler';
import { TAGS } from '../../functions/lib/names';
import { awsError, EXECUTION, IMAGE, MODEL_DATA_URL, OTHER_EXECUTION_ARN, pipelineState, setTestEnvironment, TEST_ENV } from './fixtures';

const sm = mockClient(SageMakerClient);
const state = pipelineState({ config: { ...pipelineState().config, environment: { TOP_K: '5' } } });
const modelArn = `arn:aws:sagemaker:us-east-1:123456789012:model/${state.names.model}`;
const notFound = () => awsError('ValidationException', `Could not find model "${state.names.model}".`);

beforeEach(() => {
  setTestEnvironment();
  sm.reset();
});

it('creates the model from the artifact, image, environment and role, tagged with the execution', async () => {
  sm.on(DescribeModelCommand).rejects(notFound());
  sm.on(CreateModelCommand).resolves({ ModelArn: modelArn });
  await expect(handler(state)).resolves.toEqual({ name: state.names.model, arn: modelArn, createdNow: true });
  expect(sm).toHaveReceivedCommandWith(CreateModelCommand, {
    ModelName: state.names.model,
    PrimaryContainer: { Image: IMAGE, ModelDataUrl: MODEL_DATA_URL, Environment: { TOP_K: '5' } },
    ExecutionRoleArn: TEST_ENV.SAGEMAKER_ROLE_ARN,
    Tags: [
      { Key: TAGS.pipeline, Value: 'aep' },
      { Key: TAGS.execution, Value: EXECUTION.id },
      { Key: TAGS.endpoint, Value: 'recommender' },
    ],
  });
});

it('carries on when this execution already created it (a retry)', async () => {
  sm.on(DescribeModelCommand).resolves({ ModelName: state.names.model, ModelArn: modelArn });
  sm.on(ListTagsCommand).resolves({ Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
  await expect(handler(state)).resolves.toEqual({ name: state.names.model, arn: modelArn, createdNow: false });
  expect(sm).not.toHaveReceivedCommand(CreateModelCommand);
});

it('carries on when a concurrent duplicate created it between describe and create', async () => {
  sm.on(DescribeModelCommand).rejectsOnce(notFound()).resolves({ ModelArn: modelArn });
  sm.on(CreateModelCommand).rejects(awsError('ValidationException', `Cannot create already existing model "${modelArn}".`));
  sm.on(ListTagsCommand).resolves({ Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
  await expect(handler(state)).resolves.toMatchObject({ createdNow: false });
});

it('fails with EndpointCreationFailed when the name belongs to something it did not create', async () => {
  sm.on(DescribeModelCommand).resolves({ ModelArn: modelArn });
  sm.on(ListTagsCommand).resolves({ Tags: [{ Key: TAGS.execution, Value: OTHER_EXECUTION_ARN }] });
  await expect(handler(state)).rejects.toMatchObject({
    name: 'EndpointCreationFailed',
    message: expect.stringContaining(`model ${state.names.model} already exists but was not created by this execution`),
  });
});

it('turns a SageMaker refusal into EndpointCreationFailed with SageMaker’s message', async () => {
  sm.on(DescribeModelCommand).rejects(notFound());
  sm.on(CreateModelCommand).rejects(awsError('ValidationException', 'Could not access model data at s3://aep-models/x.'));
  await expect(handler(state)).rejects.toMatchObject({
    name: 'EndpointCreationFailed',
    message: expect.stringMatching(/Creating SageMaker model .* failed: ValidationException: Could not access model data/),
  });
});

it('leaves throttling to the Retry rules as TransientError', async () => {
  sm.on(DescribeModelCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
  await expect(handler(state)).rejects.toMatchObject({ name: 'TransientError' });
});
