import type { AuthorizationCheck, CallAuthorization } from './check';

/** What the embedded S3 hands to authorization: the operation it resolved and the request's addressing. */
export interface S3AuthorizationInput extends Record<string, unknown> {
  bucket: string;
  key: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Whether the addressed object exists: a GET/HEAD of a missing key also needs s3:ListBucket, else 403. */
  objectExists: boolean;
}

/**
 * S3's authorization (Service Authorization Reference, "Actions defined by Amazon S3"), keyed by the embedded S3's
 * operation names: object actions on `arn:aws:s3:::bucket/key`, bucket actions on `arn:aws:s3:::bucket` with
 * s3:prefix / s3:delimiter / s3:max-keys for listings, CopyObject and UploadPartCopy also read their source.
 * GET/HEAD of a key that does not exist is also checked for s3:ListBucket: without it S3 answers 403, not 404.
 * DeleteObjects has no action of its own: its operation authorizes s3:DeleteObject per key of the body (mayDelete).
 */
export const s3Authorization: CallAuthorization = (operation, raw) => {
  const input = raw as S3AuthorizationInput;
  const bucketArn = `arn:aws:s3:::${input.bucket}`;
  const objectArn = `${bucketArn}/${input.key}`;
  const object = (action: string): AuthorizationCheck => ({ action, resource: objectArn });
  const copySource = (): AuthorizationCheck[] => {
    const source = decodeURIComponent(String(input.headers['x-amz-copy-source'] ?? '').split('?')[0]).replace(/^\//, '');
    return source ? [{ action: 's3:GetObject', resource: `arn:aws:s3:::${source}` }] : [];
  };
  switch (operation) {
    case 'getObject': {
      const read = object(input.query.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject');
      return input.objectExists ? [read] : [read, { action: 's3:ListBucket', resource: bucketArn }];
    }
    case 'putObject':
    case 'createMultipartUpload':
    case 'uploadPart':
    case 'completeMultipartUpload':
      return [object('s3:PutObject')];
    case 'copyObject':
    case 'uploadPartCopy':
      return [object('s3:PutObject'), ...copySource()];
    case 'deleteObject':
      return [object(input.query.has('versionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject')];
    case 'abortMultipartUpload':
      return [object('s3:AbortMultipartUpload')];
    case 'listParts':
      return [object('s3:ListMultipartUploadParts')];
    case 'listObjects':
    case 'listObjectsV2': {
      const context: Record<string, string> = {};
      for (const [param, key] of [['prefix', 's3:prefix'], ['delimiter', 's3:delimiter'], ['max-keys', 's3:max-keys']]) {
        const value = input.query.get(param);
        if (value !== null) context[key] = value;
      }
      return [{ action: 's3:ListBucket', resource: bucketArn, context }];
    }
    case 'headBucket':
      return [{ action: 's3:ListBucket', resource: bucketArn }];
    case 'listMultipartUploads':
      return [{ action: 's3:ListBucketMultipartUploads', resource: bucketArn }];
    case 'getBucketLocation':
      return [{ action: 's3:GetBucketLocation', resource: bucketArn }];
    case 'createBucket':
      return [{ action: 's3:CreateBucket', resource: bucketArn }];
    case 'deleteBucket':
      return [{ action: 's3:DeleteBucket', resource: bucketArn }];
    case 'listBuckets':
      return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
    default:
      return [];
  }
};
