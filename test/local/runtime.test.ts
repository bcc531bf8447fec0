import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../local/protocols/body';
import type { ServiceModule } from '../../local/service';
import { credentials, ECHO_IMAGE, startSageMaker, waitForEndpoint, type SageMakerHarness } from './sagemaker.harness';

/**
 * A stand-in for the S3 and SNS modules (built in parallel by another engineer): just enough of their wire protocols
 * for SageMaker to read inputs, write outputs and publish notifications. Swap for createS3Service/createSnsService once they land.
 */
function s3AndSnsStandIn() {
  const objects = new Map<string, { body: Buffer; contentType?: string }>();
  const published: Array<{ topicArn: string; message: Record<string, any> }> = [];
  const module: ServiceModule = {
    name: 's3-sns-stand-in',
    handles: (_req, ctx) => ctx.signingName === 's3' || ctx.signingName === 'sns',
    async handle(req: IncomingMessage, res: ServerResponse, ctx) {
      const body = await readBody(req);
      if (ctx.signingName === 'sns') {
        const form = new URLSearchParams(body.toString('utf8'));
        published.push({ topicArn: form.get('TopicArn')!, message: JSON.parse(form.get('Message')!) });
        res.writeHead(200, { 'content-type': 'text/xml' }).end('<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>');
        return;
      }
      const path = decodeURIComponent(ctx.url.pathname.slice(1));
      if (req.method === 'PUT') {
        objects.set(path, { body, contentType: req.headers['content-type'] });
        res.writeHead(200, { etag: '"e"' }).end();
      } else if (objects.has(path)) {
        const object = objects.get(path)!;
        res.writeHead(200, { 'content-type': object.contentType ?? 'application/octet-stream', 'content-length': object.body.length }).end(object.body);
      } else {
        res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      }
    },
  };
  return { module, objects, published };
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
  let aws: ReturnType<typeof s3AndSnsStandIn>;
  let s3: S3Client;

  beforeAll(async () => {
    aws = s3AndSnsStandIn();
    h = await startSageMaker({ before: () => [aws.module] });
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

  const messageFor = (inferenceId: string) => () => aws.published.find((p) => p.message.inferenceId === inferenceId);

  it('answers 202 at once, writes the output to <S3OutputPath>/<id>.out and publishes the success notification', async () => {
    const out = await invokeAsync('echo', { InferenceId: 'inf-1' });
    expect(out).toMatchObject({ InferenceId: 'inf-1', OutputLocation: 's3://aep-out/echo/inf-1.out', FailureLocation: 's3://aep-out/echo-failures/inf-1-error.out' });
    const written = await until(() => aws.objects.get('aep-out/echo/inf-1.out'));
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
    for (const id of ids) expect(aws.objects.has(`aep-out/slow/${id}.out`)).toBe(true);
  });

  it('fails an invocation that exceeds InvocationTimeoutSeconds: error document at the failure location, error notification', async () => {
    const out = await invokeAsync('sleepy', { InvocationTimeoutSeconds: 1 });
    const failure = await until(() => aws.objects.get(`aep-out/sleepy-failures/${out.InferenceId}-error.out`));
    expect(JSON.parse(failure.body.toString()).failureReason).toMatch(/did not respond within InvocationTimeoutSeconds \(1 s\)/);
    const { topicArn, message } = await until(messageFor(out.InferenceId!));
    expect(topicArn).toBe('arn:aws:sns:us-east-1:000000000000:err');
    expect(message).toMatchObject({ invocationStatus: 'Failed', responseParameters: { failureLocation: out.FailureLocation } });
    expect(message.responseParameters.responseBody).toBeUndefined(); // IncludeInferenceResponseIn names only the success topic
    expect(aws.objects.has(`aep-out/sleepy/${out.InferenceId}.out`)).toBe(false);
    expect(h.runtime.stats('sleepy')).toMatchObject({ failed: 1, done: 0 });
  });

  it('stores the model’s own error body when the container answers 500, and InvokeEndpoint reports ModelError 424', async () => {
    const out = await invokeAsync('broken');
    const failure = await until(() => aws.objects.get(`aep-out/broken-failures/${out.InferenceId}-error.out`));
    expect(failure.body.toString()).toContain('injected failure');
    const { message } = await until(messageFor(out.InferenceId!));
    expect(message.failureReason).toMatch(/^ClientError: Received server error \(500\) from model/);
    await expect(h.runtimeClient.send(new InvokeEndpointCommand({ EndpointName: 'broken', Body: Buffer.from('{}') }))).rejects.toMatchObject({
      name: 'ModelError',
      OriginalStatusCode: 500,
      $metadata: { httpStatusCode: 424 },
    });
  });

  it('fails an invocation whose input is missing, and refuses unknown endpoints with ValidationError', async () => {
    const out = await h.runtimeClient.send(new InvokeEndpointAsyncCommand({ EndpointName: 'echo', InputLocation: 's3://aep-in/missing.json' }));
    const { message } = await until(messageFor(out.InferenceId!));
    expect(message.failureReason).toMatch(/Failed to download the input from s3:\/\/aep-in\/missing\.json: NoSuchKey/);
    await expect(invokeAsync('nope')).rejects.toMatchObject({ name: 'ValidationError', message: 'Endpoint nope of account 000000000000 not found.' });
  });
});
