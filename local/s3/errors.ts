import { AwsError } from '../aws-error';

/** S3's own error codes, statuses, messages and extra fields, as S3 returns them. */
export const s3Errors = {
  noSuchBucket: (bucket: string) =>
    new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket }),
  noSuchKey: (key: string) => new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new AwsError(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
      { UploadId: uploadId },
    ),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new AwsError(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      409,
      { BucketName: bucket },
    ),
  bucketNotEmpty: (bucket: string) =>
    new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket }),
  invalidBucketName: (bucket: string) =>
    new AwsError('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket }),
  keyTooLong: (size: number) =>
    new AwsError('KeyTooLongError', 'Your key is too long', 400, { Size: String(size), MaxSizeAllowed: '1024' }),
  preconditionFailed: (condition: string) =>
    new AwsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition }),
  notModified: () => new AwsError('NotModified', 'Not Modified', 304),
  invalidRange: (range: string, size: number) =>
    new AwsError('InvalidRange', 'The requested range is not satisfiable', 416, {
      RangeRequested: range,
      ActualObjectSize: String(size),
    }),
  entityTooLarge: (proposed: number, max: number) =>
    new AwsError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, {
      ProposedSize: String(proposed),
      MaxSizeAllowed: String(max),
    }),
  entityTooSmall: (proposed: number, partNumber: number, etag: string) =>
    new AwsError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, {
      ProposedSize: String(proposed),
      MinSizeAllowed: String(5 * 1024 * 1024),
      PartNumber: String(partNumber),
      ETag: etag,
    }),
  invalidPart: (partNumber: number, etag: string, uploadId: string) =>
    new AwsError(
      'InvalidPart',
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      400,
      { ETag: etag.replace(/"/g, ''), PartNumber: String(partNumber), UploadId: uploadId },
    ),
  invalidPartOrder: () =>
    new AwsError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', 400),
  invalidArgument: (message: string, name: string, value: string) =>
    new AwsError('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value }),
  invalidRequest: (message: string) => new AwsError('InvalidRequest', message, 400),
  invalidDigest: () => new AwsError('InvalidDigest', 'The Content-MD5 you specified is not valid.', 400),
  badDigest: (what: string) =>
    new AwsError(
      'BadDigest',
      what === 'Content-MD5' ? 'The Content-MD5 you specified did not match what we received.' : `The ${what} you specified did not match the calculated checksum.`,
      400,
    ),
  badPartDigest: (algorithm: string, partNumber: number) =>
    new AwsError('BadDigest', `The ${algorithm.toLowerCase()} you specified for part ${partNumber} did not match what we received.`, 400),
  contentSha256Mismatch: (client: string, computed: string) =>
    new AwsError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
      ClientComputedContentSHA256: client,
      S3ComputedContentSHA256: computed,
    }),
  /** A checksum header whose value is not base64 of the algorithm's digest length. */
  invalidChecksumValue: (header: string) => new AwsError('InvalidRequest', `Value for ${header} header is invalid.`, 400),
  /** An `x-amz-trailer` announcing something other than one `x-amz-checksum-*`. */
  unsupportedTrailer: () => new AwsError('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported', 400),
  /** A trailer announced but not sent, sent but not announced, or not well-formed. */
  malformedTrailer: () =>
    new AwsError('MalformedTrailerError', 'The request contained trailing data that was not well-formed or did not conform to our published schema.', 400),
  incompleteBody: () =>
    new AwsError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400),
  invalidUri: () => new AwsError('InvalidURI', "Couldn't parse the specified URI.", 400),
  malformedXml: () =>
    new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400),
  metadataTooLarge: (size: number) =>
    new AwsError('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', 400, {
      Size: String(size),
      MaxSizeAllowed: '2048',
    }),
  methodNotAllowed: (method: string, resource: string) =>
    new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, {
      Method: method,
      ResourceType: resource,
    }),
  invalidPartNumber: (partNumber: number, partsCount: number) =>
    new AwsError('InvalidPartNumber', 'The requested partnumber is not satisfiable', 416, { PartNumberRequested: String(partNumber), ActualPartCount: String(partsCount) }),
  notImplemented: (what: string) =>
    new AwsError('NotImplemented', `A header or query you provided implies functionality that is not implemented (${what})`, 501),
};
