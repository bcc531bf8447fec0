import { startBenchAws } from './bench-aws';

/** What the parent learns once the embedded AWS listens. */
export interface EmbeddedAwsProcessReady {
  url: string;
  region: string;
  artifactsBucket: string;
  sagemakerRoleArn: string;
}

/** The parent's requests: count the notifications published on a topic until `count`, then answer; or stop. */
export type EmbeddedAwsProcessRequest = { notifications: { topicArn: string; count: number } } | 'stop';

/**
 * A bench embedded AWS in a process of its own, as a user runs one (`aep local up`) beside their scripts, so a
 * measurement can tell the client's CPU from the server's. Started with IPC by bench/server-cpu.ts; answers on it.
 */
async function main(): Promise<void> {
  const bench = await startBenchAws({ waitScale: 1 });
  const published = new Map<string, number>();
  let waiting: { topicArn: string; count: number } | undefined;
  const answer = () => {
    if (!waiting || (published.get(waiting.topicArn) ?? 0) < waiting.count) return;
    process.send!({ notified: waiting.count });
    waiting = undefined;
  };
  bench.aws.services.sns.onPublished(({ topicArn }) => {
    published.set(topicArn, (published.get(topicArn) ?? 0) + 1);
    answer();
  });
  process.on('message', (request: EmbeddedAwsProcessRequest) => {
    if (request === 'stop') {
      void bench.stop().then(() => process.exit(0));
      return;
    }
    waiting = request.notifications;
    answer();
  });
  const ready: EmbeddedAwsProcessReady = {
    url: bench.aws.url,
    region: bench.aws.region,
    artifactsBucket: bench.aws.names.artifactsBucket,
    sagemakerRoleArn: bench.aws.names.sagemakerRoleArn,
  };
  process.send!(ready);
}

void main();
