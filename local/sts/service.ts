import { queryService } from '../protocols/query';
import type { ServiceModule } from '../service';

const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** The embedded STS: GetCallerIdentity only, the root of the local account (what `aws sts get-caller-identity` and CDK ask). */
export function createStsService(): ServiceModule {
  return queryService({
    name: 'sts',
    signingName: 'sts',
    xmlns: STS_XMLNS,
    operations: {
      GetCallerIdentity: (_params, ctx) => ({
        Arn: `arn:aws:iam::${ctx.accountId}:root`,
        UserId: ctx.accountId,
        Account: ctx.accountId,
      }),
    },
  });
}
