import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * CloudWatch Logs encrypts a log group with a customer managed key only when the key policy lets the service use it,
 * for log groups of this account and region (the statement AWS documents under "Encrypt log data in CloudWatch Logs
 * using AWS KMS"). Added to a key this app defines; an imported key's policy cannot be changed from here, so it must
 * already hold this statement (README, Configuration).
 * Returns whether the statement was added.
 */
export function allowLogGroupEncryption(scope: Construct, key: kms.IKey): boolean {
  const stack = Stack.of(scope);
  const statement = new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsEncryption',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    },
  });
  return key.addToResourcePolicy(statement, true).statementAdded;
}
