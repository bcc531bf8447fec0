import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import type { EmbeddedAws } from '../../local/embedded-aws';
import { runLocalUp } from '../../local/local-up';
import { REPO_ROOT } from '../helpers/embedded';

/** `aep local up`: everything the pipeline needs exists from start-up, it says where, and it stops on a signal. */

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'aep-up-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

test('starts with the buckets, topics and state machine, prints them, and shuts down on SIGTERM', async () => {
  const signals = new EventEmitter();
  const out: string[] = [];
  const err: string[] = [];
  let onReady!: (aws: EmbeddedAws) => void;
  const ready = new Promise<EmbeddedAws>((resolve) => (onReady = resolve));
  const exited = runLocalUp(
    { port: 0, dataDir: tempDir(), configPath: join(REPO_ROOT, 'aep.local.json'), waitScale: 0.5 },
    { out: (l) => out.push(l), err: (l) => err.push(l), signals, onReady },
  );
  const aws = await ready;
  const url = aws.url;
  const printed = out.join('\n');
  expect(printed).toContain(`listening on ${url}`);
  for (const name of ['s3://aep-models', 's3://aep-artifacts', aws.names.stateMachineArn, aws.names.deploymentEventsTopicArn]) {
    expect(printed).toContain(name);
  }
  expect(printed).toContain('wait scale           0.5');

  const region = aws.region;
  const s3 = new S3Client({ endpoint: url, region, credentials, forcePathStyle: true });
  const sfn = new SFNClient({ endpoint: url, region, credentials });
  const sns = new SNSClient({ endpoint: url, region, credentials });
  try {
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets!.map((b) => b.Name).sort()).toEqual(['aep-artifacts', 'aep-models']);
    const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
    expect(stateMachines!.map((m) => m.stateMachineArn)).toEqual([aws.names.stateMachineArn]);
    const { Topics } = await sns.send(new ListTopicsCommand({}));
    expect(Topics!.map((t) => t.TopicArn).sort()).toEqual(
      [aws.names.asyncErrorTopicArn, aws.names.asyncSuccessTopicArn, aws.names.deploymentEventsTopicArn].sort(),
    );
  } finally {
    [s3, sfn, sns].forEach((c) => c.destroy());
  }

  signals.emit('SIGTERM');
  await expect(exited).resolves.toBe(0);
  expect(out.slice(-2)).toEqual(['SIGTERM: stopping executions and model processes…', 'Embedded AWS stopped.']);
  await expect(fetch(`${url}/_aep/health`)).rejects.toThrow();
  // The process environment the handlers needed is put back.
  expect(process.env.AWS_ENDPOINT_URL).not.toBe(url);
});

test('a port in use is a clear start-up error, exit code 1', async () => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const err: string[] = [];
  try {
    const code = await runLocalUp({ port, dataDir: tempDir() }, { out: () => undefined, err: (l) => err.push(l), signals: new EventEmitter() });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain(`Port ${port} on 127.0.0.1 is already in use`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
