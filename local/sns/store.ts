import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { BatchedAppend } from '../batched-append';
import { changeThenWrite, ensureDir, KeyedMutex, readJsonFileSync, writeFileAtomic } from '../data-dir';
import { checkWriteFault } from '../disk-faults';
import type { FaultInjector } from '../faults';

const subscriptionSchema = z.object({
  subscriptionArn: z.string(),
  protocol: z.string(),
  endpoint: z.string(),
  pendingConfirmation: z.boolean(),
  attributes: z.record(z.string(), z.string()),
});
export type Subscription = z.infer<typeof subscriptionSchema>;

const topicSchema = z.object({
  arn: z.string(),
  name: z.string(),
  attributes: z.record(z.string(), z.string()),
  tags: z.record(z.string(), z.string()),
  subscriptions: z.array(subscriptionSchema),
});
export type Topic = z.infer<typeof topicSchema>;

const messageAttributeSchema = z.object({
  DataType: z.string(),
  StringValue: z.string().optional(),
  BinaryValue: z.string().optional(),
});

const publishedMessageSchema = z.object({
  messageId: z.string(),
  topicArn: z.string(),
  message: z.string(),
  subject: z.string().optional(),
  messageStructure: z.string().optional(),
  messageAttributes: z.record(z.string(), messageAttributeSchema),
  messageGroupId: z.string().optional(),
  messageDeduplicationId: z.string().optional(),
  sequenceNumber: z.string().optional(),
  timestamp: z.string(),
});
/** A message as Publish accepted it; what tests and users read back. */
export type PublishedMessage = z.infer<typeof publishedMessageSchema>;

/**
 * Topics (with their subscriptions) and every published message, under `<dataDir>/sns/`: `topics.json` rewritten
 * atomically, `messages.jsonl` appended one line per message (concurrent publishes share a write). Both survive a restart.
 */
export class SnsStore {
  readonly topics = new Map<string, Topic>();
  private readonly published: PublishedMessage[] = [];
  private readonly writes = new KeyedMutex();
  private readonly topicsFile: string;
  private readonly messagesFile: string;
  private readonly messageLines: BatchedAppend;

  constructor(
    dataDir: string,
    /** `disk` fault rules fail these writes as a full disk would. */
    private readonly faults?: FaultInjector,
  ) {
    const dir = ensureDir(join(dataDir, 'sns'));
    this.topicsFile = join(dir, 'topics.json');
    this.messagesFile = join(dir, 'messages.jsonl');
    this.messageLines = new BatchedAppend(this.messagesFile);
    for (const topic of readJsonFileSync(this.topicsFile, z.array(topicSchema)) ?? []) this.topics.set(topic.arn, topic);
    let lines: string[] = [];
    try {
      lines = readFileSync(this.messagesFile, 'utf8').split('\n');
    } catch {
      // No messages yet.
    }
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const parsed = publishedMessageSchema.safeParse(JSON.parse(line));
        if (parsed.success) this.published.push(parsed.data);
      } catch {
        // A line torn by a crash mid-append: skip it.
      }
    }
  }

  /**
   * Applies a change to the topics and persists them; when the write fails (a full disk) `undo` takes the change back,
   * so the request fails with nothing changed and succeeds when retried. Writes are serialized: the last lands last.
   */
  commitTopics(change: () => void, undo: () => void): Promise<void> {
    const write = () =>
      this.writes.run('topics', async () => {
        checkWriteFault(this.faults, this.topicsFile);
        await writeFileAtomic(this.topicsFile, JSON.stringify([...this.topics.values()]));
      });
    return changeThenWrite(change, write, undo);
  }

  /** Keeps a message once it is written: a Publish that failed on a full disk leaves no message behind. */
  async addMessage(message: PublishedMessage): Promise<void> {
    checkWriteFault(this.faults, this.messagesFile);
    await this.messageLines.append(`${JSON.stringify(message)}\n`);
    this.published.push(message);
  }

  get messageCount(): number {
    return this.published.length;
  }

  messages(topicArn?: string): PublishedMessage[] {
    return this.published.filter((m) => topicArn === undefined || m.topicArn === topicArn).map((m) => structuredClone(m));
  }
}
