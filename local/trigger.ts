import { createHash } from 'node:crypto';
import { AwsError } from './aws-error';

/** What S3 reports when an object is created (PutObject, CopyObject, CompleteMultipartUpload). */
export interface ObjectCreatedEvent {
  bucket: string;
  key: string;
  etag: string;
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
 * The execution name for an upload: readable (the key's folders) and unique per object version (a hash of key and
 * ETag), so the same event delivered twice starts one execution (StartExecution with the same name and input is
 * idempotent while it runs, and refused once it ended). Uploading the very same bytes again therefore does not
 * redeploy; start an execution explicitly (`aep deploy`, StartExecution) to do that.
 */
export function uploadExecutionName(key: string, etag: string): string {
  const hash = createHash('sha256').update(`${key}\n${etag.replace(/"/g, '')}`).digest('hex').slice(0, 16);
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
  return ({ bucket, key, etag }) => {
    if (!isModelUpload(bucket, key, options.modelsBucket)) return;
    const name = uploadExecutionName(key, etag);
    const input = JSON.stringify({ modelDataUrl: `s3://${bucket}/${key}` });
    try {
      const { executionArn } = options.startExecution({ stateMachineArn: options.stateMachineArn, name, input });
      log(`s3://${bucket}/${key} uploaded: started ${executionArn}`);
    } catch (error) {
      if (error instanceof AwsError && error.code === 'ExecutionAlreadyExists') {
        log(`s3://${bucket}/${key} (ETag ${etag}) already started execution ${name}; duplicate event ignored`);
        return;
      }
      log(`s3://${bucket}/${key} uploaded but the pipeline did not start: ${(error as Error).message}`);
    }
  };
}
