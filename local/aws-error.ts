/**
 * An error in AWS's terms: the service error code clients switch on (`ValidationException`, `NoSuchKey`),
 * a message, and the HTTP status. Every service module throws these; the protocol layer renders them in the
 * service's own wire shape (JSON `__type`, S3 `<Error><Code>`, Query `<ErrorResponse>`).
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra fields some services add to the error body (S3's `<Key>`, `<BucketName>`). */
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** The input of an operation failed a constraint: AWS's generic 400. */
export const validationError = (message: string) => new AwsError('ValidationException', message, 400);
