import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Prefixes of the artifacts bucket that hold per-run data; audit/ and locks/ are kept indefinitely. async-failures/ is
 * where failure objects went before they joined their outputs in async-outputs/: a stack updated from then still
 * expires what is left there.
 */
export const TRANSIENT_ARTIFACT_PREFIXES = ['async-inputs/', 'async-outputs/', 'async-failures/', 'reports/', 'waits/'] as const;

/** What every bucket of the pipeline shares: private, encrypted, TLS-only, owner-enforced, access-logged. */
function secureBucketProps(kmsKey: kms.IKey | undefined, accessLogs: s3.IBucket, logPrefix: string): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: kmsKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
    encryptionKey: kmsKey,
    // One data key per bucket instead of one KMS call per object: large async outputs stay cheap.
    bucketKeyEnabled: kmsKey ? true : undefined,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: logPrefix,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{ id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) }],
  };
}

/**
 * The destination of the pipeline buckets' server access logs. S3 delivers access logs only to SSE-S3
 * buckets, so this one is S3-managed even when a KMS key is configured.
 */
export function createAccessLogsBucket(scope: Construct, id: string, retention: Duration): s3.Bucket {
  return new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: retention }],
  });
}

/**
 * The bucket ML engineers upload `models/<endpoint>/<version>/model.tar.gz` to. Versioned, so the artifact a run
 * deployed is still retrievable (the audit record names its version) after a re-upload under the same key.
 */
export function createModelsBucket(scope: Construct, id: string, kmsKey: kms.IKey | undefined, accessLogs: s3.IBucket) {
  const bucket = new s3.Bucket(scope, id, { ...secureBucketProps(kmsKey, accessLogs, 'models/'), versioned: true });
  // EventBridge delivery set on the CloudFormation resource itself: `eventBridgeEnabled` would add a
  // custom-resource Lambda (with a wildcard s3:PutBucketNotification policy) for a setting CloudFormation supports natively.
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
  return bucket;
}

/**
 * The pipeline's working bucket: async inputs/outputs/failures and comparison reports expire after
 * `transientRetention`; audit records and locks are kept.
 */
export function createArtifactsBucket(
  scope: Construct,
  id: string,
  kmsKey: kms.IKey | undefined,
  accessLogs: s3.IBucket,
  transientRetention: Duration,
) {
  const props = secureBucketProps(kmsKey, accessLogs, 'artifacts/');
  return new s3.Bucket(scope, id, {
    ...props,
    lifecycleRules: [
      ...(props.lifecycleRules ?? []),
      ...TRANSIENT_ARTIFACT_PREFIXES.map((prefix) => ({
        id: `expire-${prefix.slice(0, -1)}`,
        prefix,
        expiration: transientRetention,
      })),
    ],
  });
}
