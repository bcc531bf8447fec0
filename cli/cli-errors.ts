/**
 * Exit codes are the CLI's contract with CI: a release gate keys on them.
 * 0 the run succeeded; 1 the gate failed (the execution failed, or an invocation produced a failure object);
 * 2 the command line or the input is wrong; 3 the CLI could not find out (timeout, unreachable service, missing
 * state machine, credentials).
 */
export const ExitCode = {
  Succeeded: 0,
  GateFailed: 1,
  Usage: 2,
  Infrastructure: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports as one message and an exit code; `hint` says what to do about it. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Bad flags, a malformed file, an input that fails the schema. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  readonly exitCode = ExitCode.Usage;
}

/** The service cannot be reached, or what the CLI needs is not there (stack, state machine, credentials). */
export class InfrastructureError extends CliError {
  override readonly name = 'InfrastructureError';
  readonly exitCode = ExitCode.Infrastructure;
}

/** --timeout passed while waiting; the execution or invocation may still finish. */
export class WaitTimeout extends CliError {
  override readonly name = 'WaitTimeout';
  readonly exitCode = ExitCode.Infrastructure;
}

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'AccessDeniedException',
]);

/**
 * Turns whatever a command threw into a CliError: SDK and network failures are infrastructure (exit 3), anything
 * unrecognised too — a bug or an outage is not a failed gate, and CI must not mistake one for the other.
 */
export function toCliError(error: unknown, endpoint?: string): CliError {
  if (error instanceof CliError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: string }).code ?? (e.cause as { code?: string } | undefined)?.code;
  const where = endpoint ?? 'AWS';
  if ((code && NETWORK_ERRORS.has(code)) || NETWORK_ERRORS.has(e.name)) {
    return new InfrastructureError(
      `Cannot reach ${where}: ${e.message || code}`,
      endpoint ? 'Is the embedded AWS running (aep local up)? Check --endpoint-url / AEP_PORT.' : 'Check your network and AWS_REGION.',
    );
  }
  if (CREDENTIAL_ERRORS.has(e.name)) {
    return new InfrastructureError(`${where} refused the credentials: ${e.name}: ${e.message}`, 'Check AWS_PROFILE / your credentials, or assume the role the pipeline grants.');
  }
  if (/region is missing/i.test(e.message)) {
    return new InfrastructureError(e.message, 'Set AWS_REGION or pass --region.');
  }
  return new InfrastructureError(`${e.name}: ${e.message}`);
}
