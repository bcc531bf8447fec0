import { AwsError } from '../../local/aws-error';
import { isModelUpload, modelUploadTrigger, uploadExecutionName } from '../../local/trigger';

/** The S3 → Step Functions trigger: which uploads start the pipeline, with what input and name. */

const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:aep-deploy-async-endpoint';

type Start = (request: { stateMachineArn: string; name: string; input: string }) => { executionArn: string };

function trigger(startExecution = jest.fn<ReturnType<Start>, Parameters<Start>>((request) => ({ executionArn: `${ARN}:${request.name}` }))) {
  const lines: string[] = [];
  const onObjectCreated = modelUploadTrigger({ modelsBucket: 'aep-models', stateMachineArn: ARN, startExecution, log: (l) => lines.push(l) });
  return { onObjectCreated, startExecution, lines };
}

test('matches what the EventBridge rule matches: models/*model.tar.gz in the models bucket', () => {
  expect(isModelUpload('aep-models', 'models/recommender/v2/model.tar.gz', 'aep-models')).toBe(true);
  expect(isModelUpload('aep-models', 'models/recommender/model.tar.gz', 'aep-models')).toBe(true);
  expect(isModelUpload('aep-models', 'models/recommender/v2/deploy.json', 'aep-models')).toBe(false);
  expect(isModelUpload('aep-models', 'examples/recommender/v1/model.tar.gz', 'aep-models')).toBe(false);
  expect(isModelUpload('aep-artifacts', 'models/recommender/v2/model.tar.gz', 'aep-models')).toBe(false);
});

test("starts the pipeline with exactly the rule's input, named after the key and the event", () => {
  const { onObjectCreated, startExecution } = trigger();
  onObjectCreated({ bucket: 'aep-models', key: 'models/recommender/v2/model.tar.gz', etag: '"abc"', eventId: 'e-1' });
  expect(startExecution).toHaveBeenCalledTimes(1);
  const request = startExecution.mock.calls[0][0];
  expect(request.stateMachineArn).toBe(ARN);
  expect(JSON.parse(request.input)).toEqual({ modelDataUrl: 's3://aep-models/models/recommender/v2/model.tar.gz' });
  expect(request.name).toBe(uploadExecutionName('models/recommender/v2/model.tar.gz', 'e-1'));
  expect(request.name).toMatch(/^recommender-v2-[0-9a-f]{16}$/);

  onObjectCreated({ bucket: 'aep-models', key: 'models/recommender/v2/deploy.json', etag: '"def"' });
  expect(startExecution).toHaveBeenCalledTimes(1);
});

test('names are valid execution names, one per event', () => {
  const key = `models/${'a b/'.repeat(40)}model.tar.gz`;
  const name = uploadExecutionName(key, 'e-1');
  expect(name.length).toBeLessThanOrEqual(80);
  expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(uploadExecutionName(key, 'e-1')).toBe(name);
  expect(uploadExecutionName(key, 'e-2')).not.toBe(name);
  expect(uploadExecutionName('models/model.tar.gz', 'e-1')).toMatch(/^[0-9a-f]{16}$/);
});

test('the same bytes uploaded again start a new execution, as every S3 event does in AWS', () => {
  const { onObjectCreated, startExecution } = trigger();
  const upload = { bucket: 'aep-models', key: 'models/recommender/v2/model.tar.gz', etag: '"same"' };
  onObjectCreated(upload);
  onObjectCreated(upload);
  expect(startExecution).toHaveBeenCalledTimes(2);
  expect(startExecution.mock.calls[0][0].name).not.toBe(startExecution.mock.calls[1][0].name);
});

test('a duplicate event (ExecutionAlreadyExists) is ignored; other failures are reported', () => {
  const refuse = (error: Error): Start => () => {
    throw error;
  };
  const duplicate = trigger(jest.fn(refuse(new AwsError('ExecutionAlreadyExists', 'Execution Already Exists: x'))));
  expect(() => duplicate.onObjectCreated({ bucket: 'aep-models', key: 'models/r/model.tar.gz', etag: '"e"' })).not.toThrow();
  expect(duplicate.lines.join('\n')).toContain('was delivered again');

  const broken = trigger(jest.fn(refuse(new AwsError('ServiceUnavailable', 'The embedded AWS is shutting down', 503))));
  broken.onObjectCreated({ bucket: 'aep-models', key: 'models/r/model.tar.gz', etag: '"e"' });
  expect(broken.lines.join('\n')).toContain('did NOT start: The embedded AWS is shutting down');
  expect(broken.lines.join('\n')).toContain('npx aep deploy --local --model-uri s3://aep-models/models/r/model.tar.gz');
});
