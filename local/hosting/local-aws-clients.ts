import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';

/**
 * SDK clients that call the embedded AWS itself, as SageMaker calls S3 and SNS on the user's behalf.
 * The URL is read per call because the server's port is only known once it listens. The SDK packages load with the
 * first client (the first model download), not with the embedded AWS: start-up does not need them.
 */
export class LocalAwsClients {
  private cache?: { url: string; s3: S3Client; sns: SNSClient };

  constructor(
    private readonly endpointUrl: () => string,
    private readonly region = process.env.AWS_REGION ?? 'us-east-1',
  ) {}

  get s3(): S3Client {
    return this.clients().s3;
  }

  get sns(): SNSClient {
    return this.clients().sns;
  }

  destroy(): void {
    this.cache?.s3.destroy();
    this.cache?.sns.destroy();
    this.cache = undefined;
  }

  private clients(): { s3: S3Client; sns: SNSClient } {
    const url = this.endpointUrl();
    if (this.cache?.url !== url) {
      this.destroy();
      const common = {
        endpoint: url,
        region: this.region,
        // The embedded AWS accepts any credentials; these keep the SDK from searching the machine for real ones.
        credentials: { accessKeyId: 'aep-local', secretAccessKey: 'aep-local' },
        maxAttempts: 3,
      };
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { S3Client } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
      const { SNSClient } = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
      /* eslint-enable @typescript-eslint/no-require-imports */
      this.cache = { url, s3: new S3Client({ ...common, forcePathStyle: true }), sns: new SNSClient(common) };
    }
    return this.cache;
  }
}
