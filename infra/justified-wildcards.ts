import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * Why a statement's wildcard resources are as narrow as IAM allows, recorded where the statement is written.
 * cdk-nag's AwsSolutions-IAM5 acknowledgments are derived from these records, so a suppression can only exist
 * next to the permission it excuses, and a new wildcard without a reason fails the synth.
 */
const reasons = new WeakMap<iam.PolicyStatement, string>();

export function justifyWildcards(statement: iam.PolicyStatement, reason: string): iam.PolicyStatement {
  reasons.set(statement, reason);
  return statement;
}

/** A wildcard resource with no recorded reason: the permission was widened without saying why. */
export class UnjustifiedWildcard extends Error {
  override readonly name = 'UnjustifiedWildcard';
}

/** The finding id cdk-nag reports for a wildcard resource, e.g. `AwsSolutions-IAM5[Resource::<Bucket.Arn>/locks/*]`. */
export function wildcardFindingId(scope: IConstruct, resource: string): string | undefined {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
  return flat.includes('*') ? `AwsSolutions-IAM5[Resource::${flat}]` : undefined;
}

/**
 * Acknowledges, on `principal` (the role owning the policy), each wildcard resource of `statements` with the
 * statement's recorded reason. Several statements may share one finding (`Resource::*`): their reasons are joined.
 */
export function acknowledgeJustifiedWildcards(principal: IConstruct, statements: iam.PolicyStatement[]): void {
  const byFinding = new Map<string, Set<string>>();
  for (const statement of statements) {
    for (const resource of statement.resources) {
      const id = wildcardFindingId(principal, resource);
      if (!id) continue;
      const reason = reasons.get(statement);
      if (!reason) {
        throw new UnjustifiedWildcard(
          `${principal.node.path}: ${statement.actions.join(', ')} on ${id} has no recorded reason; wrap the statement in justifyWildcards() saying why it cannot be narrower`,
        );
      }
      byFinding.set(id, (byFinding.get(id) ?? new Set()).add(reason));
    }
  }
  for (const [id, why] of byFinding) Validations.of(principal).acknowledge({ id, reason: [...why].join(' ') });
}
