import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from './aws-error';

/** What S3 reports when an object is created (PutObject, CopyObject, CompleteMultipartUpload). */
export interface ObjectCreatedEvent {
  bucket: string;
  key: string;
  etag: string;
  /** The event's id (EventBridge's `id`): new for every upload, the same when one event is delivered again. */
  eventId?: string;
}

export interface ModelUploadTriggerOptions {
  modelsBucket: string;
  stateMachineArn: string;
  /** The embedded Step Functions' StartExecution (throws AwsError as the API does). */
  startExecution: (request: { stateMachineArn: string; name: string; input: string }) => { executionArn: string };
  log?: (message: string) => void;
}

/** The stack's EventBridge rule matches `models/*model.tar.gz` in the models bucket (`*` spans folders). */
export function isModelUpload(bucket: string, key: string, modelsBucket: string): boolean {
  return bucket === modelsBucket && key.startsWith('models/') && key.endsWith('model.tar.gz');
}

/**
 * The execution name for an upload event: readable (the key's folders) and unique per event (a hash of the event id),
 * as in AWS, where every upload is a new event and starts a new execution — the same bytes uploaded again redeploy.
 * Only one event delivered twice maps to one name, and StartExecution refuses the second (ExecutionAlreadyExists).
 */
export function uploadExecutionName(key: string, eventId: string): string {
  const hash = createHash('sha256').update(`${key}\n${eventId}`).digest('hex').slice(0, 16);
  const folders = key
    .replace(/^models\//, '')
    .replace(/\/?[^/]*model\.tar\.gz$/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80 - hash.length - 1);
  return folders ? `${folders}-${hash}` : hash;
}

/**
 * The S3 → EventBridge → Step Functions trigger of the stack, in-process: an object created in the models bucket
 * under `models/` whose key ends in `model.tar.gz` starts the pipeline with exactly the rule's input,
 * `{"modelDataUrl": "s3://<bucket>/<key>"}` — so a deploy.json uploaded next to it beforehand is what configures it.
 */
export function modelUploadTrigger(options: ModelUploadTriggerOptions): (event: ObjectCreatedEvent) => void {
  const log = options.log ?? (() => undefined);
  return ({ bucket, key, etag, eventId = randomUUID() }) => {
    if (!isModelUpload(bucket, key, options.modelsBucket)) return;
    const name = uploadExecutionName(key, eventId);
    const input = JSON.stringify({ modelDataUrl: `s3://${bucket}/${key}` });
    try {
      const { executionArn } = options.startExecution({ stateMachineArn: options.stateMachineArn, name, input });
      log(`s3://${bucket}/${key} uploaded: started ${executionArn}`);
    } catch (error) {
      if (error instanceof AwsError && error.code === 'ExecutionAlreadyExists') {
        log(`s3://${bucket}/${key} (ETag ${etag}): event ${eventId} was delivered again; it already started execution ${name}, so no second run`);
        return;
      }
      log(`s3://${bucket}/${key} uploaded but the pipeline did NOT start: ${(error as Error).message}. Start it by hand: npx aep deploy --local --model-uri s3://${bucket}/${key}`);
    }
  };
}
