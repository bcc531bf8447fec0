import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../local/protocols/body';
import { createS3Service, type S3Service } from '../../local/s3/service';
import type { ServiceModule } from '../../local/service';
import { credentials, ECHO_IMAGE, startSageMaker, waitForEndpoint, type SageMakerHarness } from './sagemaker.harness';

/**
 * A stand-in for SNS's Publish (the real SNS drops messages to topics that do not exist): just enough of its wire
 * protocol to capture what SageMaker publishes. S3 is the real embedded S3.
 */
function snsStandIn() {
  const published: Array<{ topicArn: string; message: Record<string, any> }> = [];
  const module: ServiceModule = {
    name: 'sns-stand-in',
    handles: (_req, ctx) => ctx.signingName === 'sns',
    async handle(req: IncomingMessage, res: ServerResponse) {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      // SageMaker also looks its topics up (GetTopicAttributes) when a config names them; only Publish is kept.
      if (form.get('Action') === 'Publish') published.push({ topicArn: form.get('TopicArn')!, message: JSON.parse(form.get('Message')!) });
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>');
    },
  };
  return { module, published };
}

const until = async <T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('embedded SageMaker Runtime', () => {
  let h: SageMakerHarness;
  let aws: ReturnType<typeof snsStandIn>;
  let s3: S3Client;
  let s3Service: S3Service;

  beforeAll(async () => {
    aws = snsStandIn();
    h = await startSageMaker({ before: (_url, dataDir) => [aws.module, (s3Service = createS3Service({ dataDir }))] });
    await s3Service.ensureBucket('aep-in');
    await s3Service.ensureBucket('aep-out');
    s3 = new S3Client({ endpoint: h.url, region: 'us-east-1', credentials, forcePathStyle: true });
    await s3.send(new PutObjectCommand({ Bucket: 'aep-in', Key: 'payload.json', Body: '{"q":1}', ContentType: 'application/json' }));
    await Promise.all([
      endpoint('echo', {}, 2),
      endpoint('slow', { AEP_FAULT: 'slow:300' }, 2),
      endpoint('sleepy', { AEP_FAULT: 'slow:3000' }, 1),
      endpoint('broken', { AEP_FAULT: 'http-500' }, 1),
    ]);
  });
  afterAll(async () => {
    s3.destroy();
    await h.close();
  });

  async function endpoint(name: string, env: Record<string, string>, perInstance: number): Promise<void> {
    await h.client.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: ECHO_IMAGE, Environment: env } }));
    await h.client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
        AsyncInferenceConfig: {
          ClientConfig: { MaxConcurrentInvocationsPerInstance: perInstance },
          OutputConfig: {
            S3OutputPath: `s3://aep-out/${name}/`,
            S3FailurePath: `s3://aep-out/${name}-failures`,
            NotificationConfig: {
              SuccessTopic: 'arn:aws:sns:us-east-1:000000000000:ok',
              ErrorTopic: 'arn:aws:sns:us-east-1:000000000000:err',
              IncludeInferenceResponseIn: ['SUCCESS_NOTIFICATION_TOPIC'],
            },
          },
        },
      }),
    );
    await h.client.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    await waitForEndpoint(h.client, name, ['InService']);
  }

  const invokeAsync = (name: string, extra: { InvocationTimeoutSeconds?: number; InferenceId?: string } = {}) =>
    h.runtimeClient.send(new InvokeEndpointAsyncCommand({ EndpointName: name, InputLocation: 's3://aep-in/payload.json', ContentType: 'application/json', Accept: 'application/json', ...extra }));

  const split = (path: string) => ({ bucket: path.slice(0, path.indexOf('/')), key: path.slice(path.indexOf('/') + 1) });
  const hasObject = (path: string) => s3Service.headObject(split(path).bucket, split(path).key) !== undefined;
  /** The object at `bucket/key` once the queue has written it: its bytes and content type. */
  const storedObject = async (path: string) => {
    const { bucket, key } = split(path);
    const meta = await until(() => s3Service.headObject(bucket, key));
    const chunks: Buffer[] = [];
    for await (const chunk of await s3Service.readObject(bucket, key)) chunks.push(chunk as Buffer);
    return { body: Buffer.concat(chunks), contentType: meta.contentType };
  };

  const messageFor = (inferenceId: string) => () => aws.published.find((p) => p.message.inferenceId === inferenceId);

  it('answers 202 at once, writes the output to <S3OutputPath>/<id>.out and publishes the success notification', async () => {
    const out = await invokeAsync('echo', { InferenceId: 'inf-1' });
    expect(out).toMatchObject({ InferenceId: 'inf-1', OutputLocation: 's3://aep-out/echo/inf-1.out', FailureLocation: 's3://aep-out/echo-failures/inf-1-error.out' });
    const written = await storedObject('aep-out/echo/inf-1.out');
    expect(written.body.toString()).toBe('{"q":1}');
    expect(written.contentType).toBe('application/json');
    const { topicArn, message } = await until(messageFor('inf-1'));
    expect(topicArn).toBe('arn:aws:sns:us-east-1:000000000000:ok');
    expect(message).toMatchObject({
      awsRegion: 'us-east-1',
      invocationStatus: 'Completed',
      eventSource: 'aws:sagemaker',
      eventName: 'InferenceResult',
      eventVersion: '1.0',
      requestParameters: { endpointName: 'echo', inputLocation: 's3://aep-in/payload.json', contentType: 'application/json', accept: 'application/json' },
      responseParameters: { outputLocation: 's3://aep-out/echo/inf-1.out', contentType: 'application/json', responseBody: { content: '{"q":1}', encoding: 'UTF8' } },
    });
    expect(Date.parse(message.eventTime)).toBeGreaterThanOrEqual(Date.parse(message.receivedTime));
    expect(h.runtime.stats('echo')).toMatchObject({ queued: 0, inFlight: 0, done: 1, failed: 0 });
  });

  it('keeps at most MaxConcurrentInvocationsPerInstance in flight per instance', async () => {
    const instance = h.sagemaker.hosting.instances('slow')[0].process;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, instance.inFlight)), 5);
    const started = Date.now();
    const ids = (await Promise.all(Array.from({ length: 6 }, () => invokeAsync('slow')))).map((o) => o.InferenceId!);
    expect(h.runtime.stats('slow').queued).toBeGreaterThan(0);
    await until(() => (h.runtime.stats('slow').done === 6 ? true : undefined));
    clearInterval(sampler);
    expect(peak).toBe(2);
    // 6 jobs, 2 at a time, 300 ms each: three rounds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(850);
    for (const id of ids) expect(hasObject(`aep-out/slow/${id}.out`)).toBe(true);
  });

  it('fails an invocation that exceeds InvocationTimeoutSeconds: error document at the failure location, error notification', async () => {
    const out = await invokeAsync('sleepy', { InvocationTimeoutSeconds: 1 });
    const failure = await storedObject(`aep-out/sleepy-failures/${out.InferenceId}-error.out`);
    expect(JSON.parse(failure.body.toString()).failureReason).toMatch(/did not respond within InvocationTimeoutSeconds \(1 s\)/);
    const { topicArn, message } = await until(messageFor(out.InferenceId!));
    expect(topicArn).toBe('arn:aws:sns:us-east-1:000000000000:err');
    expect(message).toMatchObject({ invocationStatus: 'Failed', responseParameters: { failureLocation: out.FailureLocation } });
    expect(message.responseParameters.responseBody).toBeUndefined(); // IncludeInferenceResponseIn names only the success topic
    expect(hasObject(`aep-out/sleepy/${out.InferenceId}.out`)).toBe(false);
    expect(h.runtime.stats('sleepy')).toMatchObject({ failed: 1, done: 0 });
  });

  it('stores the model’s own error body when the container answers 500, and InvokeEndpoint reports ModelError 424', async () => {
    const out = await invokeAsync('broken');
    const failure = await storedObject(`aep-out/broken-failures/${out.InferenceId}-error.out`);
    expect(failure.body.toString()).toContain('injected failure');
    const { message } = await until(messageFor(out.InferenceId!));
    expect(message.failureReason).toMatch(/^ClientError: Received server error \(500\) from model/);
    await expect(h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'broken', Body: Buffer.from('{}') }))).rejects.toMatchObject({
      name: 'ModelError',
      OriginalStatusCode: 500,
      $metadata: { httpStatusCode: 424 },
    });
  });

  it('applies S3 fault rules to the in-process output write: retried like the SDK, then the failure location', async () => {
    const rule = { service: 's3', operation: 'PutObject', resource: 'aep-out/echo/fault-', error: { code: 'InternalError', message: 'injected', status: 500 } };
    h.faults.add({ ...rule, count: 1 });
    await invokeAsync('echo', { InferenceId: 'fault-once' });
    expect((await storedObject('aep-out/echo/fault-once.out')).body.toString()).toBe('{"q":1}');

    h.faults.add({ ...rule, count: 3 });
    const out = await invokeAsync('echo', { InferenceId: 'fault-always' });
    const failure = await storedObject(`aep-out/echo-failures/${out.InferenceId}-error.out`);
    expect(JSON.parse(failure.body.toString()).failureReason).toMatch(/^ServerError: Failed to upload the output to s3:\/\/aep-out\/echo\/fault-always\.out: injected/);
    expect(hasObject('aep-out/echo/fault-always.out')).toBe(false);
    h.faults.clear();
  });

  it('fails an invocation whose input is missing, and refuses unknown endpoints with ValidationError', async () => {
    const out = await h.runtimeClient.send(new InvokeEndpointAsyncCommand({ EndpointName: 'echo', InputLocation: 's3://aep-in/missing.json' }));
    const { message } = await until(messageFor(out.InferenceId!));
    expect(message.failureReason).toMatch(/Failed to download the input from s3:\/\/aep-in\/missing\.json: NoSuchKey/);
    await expect(invokeAsync('nope')).rejects.toMatchObject({ name: 'ValidationError', message: 'Endpoint nope of account 000000000000 not found.' });
  });

  it('passes SageMaker\'s headers through to the container and hands its CustomAttributes back', async () => {
    const answer = await h.runtimeClient.send(
      new InvokeEndpointCommand({ EndpointName: 'echo', Body: Buffer.from('{}'), Accept: 'application/x-aep-headers', CustomAttributes: 'trace=7', TargetModel: 'm1.tar.gz', InferenceId: 'rt-1', TargetVariant: 'AllTraffic' }),
    );
    expect(answer.CustomAttributes).toBe('echo;trace=7');
    expect(answer.InvokedProductionVariant).toBe('AllTraffic');
    expect(JSON.parse(Buffer.from(answer.Body!).toString())).toEqual({
      'x-amzn-sagemaker-custom-attributes': 'trace=7',
      'x-amzn-sagemaker-target-model': 'm1.tar.gz',
      'x-amzn-sagemaker-inference-id': 'rt-1',
    });
    const out = await h.runtimeClient.send(
      new InvokeEndpointAsyncCommand({ EndpointName: 'echo', InputLocation: 's3://aep-in/payload.json', Accept: 'application/x-aep-headers', CustomAttributes: 'a=b', InferenceId: 'async-headers' }),
    );
    const written = await storedObject('aep-out/echo/async-headers.out');
    expect(JSON.parse(written.body.toString())).toEqual({ 'x-amzn-sagemaker-custom-attributes': 'a=b', 'x-amzn-sagemaker-inference-id': 'async-headers' });
    expect(out.OutputLocation).toBe('s3://aep-out/echo/async-headers.out');
  });

  it('refuses what the runtime\'s API model refuses, with ValidationError and AWS\'s wording', async () => {
    await expect(invokeAsync('echo', { InvocationTimeoutSeconds: 3601 })).rejects.toMatchObject({
      name: 'ValidationError',
      message: "1 validation error detected: Value '3601' at 'invocationTimeoutSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600",
    });
    await expect(
      h.runtimeClient.send(new InvokeEndpointAsyncCommand({ EndpointName: 'echo', InputLocation: 'ftp://x/y', RequestTTLSeconds: 59 })),
    ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^2 validation errors detected: .*'inputLocation'.*'requestTTLSeconds'.*greater than or equal to 60/) });
    await expect(h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'echo', Body: Buffer.from('{}'), CustomAttributes: 'x'.repeat(1025) }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining("at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024"),
    });
    await expect(h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'echo', Body: Buffer.from('{}'), TargetVariant: 'Other' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Variant Other does not exist on endpoint echo.',
    });
  });

  it('publishes async notifications with the endpoint\'s region, not the server\'s default', async () => {
    const west = new SageMakerClient({ endpoint: h.url, region: 'eu-west-1', credentials });
    const westRuntime = new SageMakerRuntimeClient({ endpoint: h.url, region: 'eu-west-1', credentials });
    try {
      await west.send(new CreateModelCommand({ ModelName: 'west', PrimaryContainer: { Image: ECHO_IMAGE } }));
      await west.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'west',
          ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'west', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
          AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://aep-out/west/', NotificationConfig: { SuccessTopic: 'arn:aws:sns:eu-west-1:000000000000:ok' } } },
        }),
      );
      await west.send(new CreateEndpointCommand({ EndpointName: 'west', EndpointConfigName: 'west' }));
      await waitForEndpoint(west, 'west', ['InService']);
      const out = await westRuntime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'west', InputLocation: 's3://aep-in/payload.json' }));
      const { topicArn, message } = await until(messageFor(out.InferenceId!));
      expect(topicArn).toBe('arn:aws:sns:eu-west-1:000000000000:ok');
      expect(message.awsRegion).toBe('eu-west-1');
    } finally {
      west.destroy();
      westRuntime.destroy();
    }
  });
});
