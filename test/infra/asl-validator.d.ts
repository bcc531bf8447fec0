// asl-validator 4 ships no type declarations; this is the part of its API the tests use.
declare module 'asl-validator' {
  interface AslValidationError {
    'Error code': string;
    Message: string;
    path?: string;
  }
  interface AslValidatorOptions {
    checkPaths?: boolean;
    checkArn?: boolean;
  }
  function validator(definition: unknown, options?: AslValidatorOptions): { isValid: boolean; errors: AslValidationError[] };
  export = validator;
}
