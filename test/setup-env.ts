// Unit tests must never reach a real AWS account: give the SDK a region and dummy credentials.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
// Step logs are structured JSON for CloudWatch; in tests they only bury the failures.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
