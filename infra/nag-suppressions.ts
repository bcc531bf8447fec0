import { Validations } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { StepLambda } from './step-lambda';

/**
 * cdk-nag AwsSolutions findings on resources CDK generates for the pipeline, each acknowledged on the one construct
 * it concerns. Wildcards in the pipeline's own statements are acknowledged where they are written
 * (justified-wildcards.ts); nothing is acknowledged stack-wide.
 */
export function acknowledgeStepLambdaFindings(step: StepLambda): void {
  Validations.of(step.function).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'Pinned to nodejs22.x on purpose: the bundle targets node22 and the steps are tested on it; a runtime upgrade is a deliberate, tested change.',
  });
  Validations.of(step.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) supports no resource-level permissions; other "*" statements of this role say why where they are written.',
  });
}

export function acknowledgeStateMachineFindings(stateMachine: sfn.StateMachine): void {
  Validations.of(stateMachine.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Step Functions log delivery (logs:CreateLogDelivery, …) and X-Ray tracing support no resource-level permissions; lambda:InvokeFunction is limited to the 14 step functions.',
  });
}

export function acknowledgeDeadLetterQueueFindings(queue: sqs.Queue): void {
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter queue of the EventBridge trigger: uploads that could not start an execution land here for inspection.',
  });
}
