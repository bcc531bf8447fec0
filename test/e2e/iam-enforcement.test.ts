import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestAws, type TestAws } from '../helpers/embedded';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { echoDeployment, inventory, outcome, readAuditRecord, runDeployment, uploadEchoFixtures } from '../helpers/scenario';
import { synthesizedTemplate } from '../helpers/stack-template';

/**
 * IAM enforced from the synthesized stack: the same pipeline run that succeeds with the stack's policies fails
 * with AWS's AccessDenied naming the role, the action and the resource once one permission is taken out.
 */

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

/** The synthesized template without `action` in the policies of the role of step `step`. */
function withoutPermission(step: string, action: string): string {
  const template = JSON.parse(readFileSync(synthesizedTemplate(), 'utf8')) as Template;
  const fn = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith(`aep ${step}:`),
  )!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  let removed = 0;
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' || !resource.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId)) continue;
    for (const statement of resource.Properties.PolicyDocument.Statement) {
      const actions: string[] = [statement.Action].flat();
      if (!actions.includes(action)) continue;
      statement.Action = actions.filter((a) => a !== action);
      removed++;
    }
    resource.Properties.PolicyDocument.Statement = resource.Properties.PolicyDocument.Statement.filter((s: { Action: string[] }) => s.Action.length > 0);
  }
  if (removed === 0) throw new Error(`the ${step} role has no ${action} to remove`);
  const file = join(dir, `without-${action.replace(':', '-')}.template.json`);
  writeFileSync(file, JSON.stringify(template));
  return file;
}

let dir: string;
let t: TestAws;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aep-iam-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An embedded AWS enforcing the synthesized template without one permission of one step's role, for the tests of a describe. */
function withoutPermissionInAws(step: string, action: string): void {
  beforeAll(async () => {
    t = await startTestAws({ iamTemplate: withoutPermission(step, action) });
    await uploadEchoFixtures(t);
  }, 120_000);
  afterAll(() => t?.stop());
}

describe('CreateModel', () => {
  withoutPermissionInAws('create-model', 'sagemaker:CreateModel');

  test('without sagemaker:CreateModel in its role, CreateModel fails with AWS AccessDenied naming the role, action and model', async () => {
    expect(t.aws.iamTemplate).toContain('without-sagemaker-CreateModel');
    const run = await runDeployment(t, 'no-create-model', echoDeployment('iam-denied'));
    const ended = outcome(run);
    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('EndpointCreationFailed');
    expect(ended.cause).toContain(
      'User: arn:aws:sts::000000000000:assumed-role/aep-create-model-role/aep-create-model is not authorized to perform: ' +
        'sagemaker:CreateModel on resource: arn:aws:sagemaker:us-east-1:000000000000:model/iam-denied-',
    );
    expect(ended.cause).toContain('because no identity-based policy allows the sagemaker:CreateModel action');
    // Nothing was created, so nothing is left behind.
    expect(await inventory(t.clients.sagemaker, 'iam-denied')).toEqual({ models: [], endpointConfigs: [], endpoints: [] });
  });
});

describe('Application Auto Scaling', () => {
  withoutPermissionInAws('finalize', 'application-autoscaling:RegisterScalableTarget');

  test('without RegisterScalableTarget, a deployment asking for autoscaling succeeds and its audit record says AWS refused the registration', async () => {
    const run = await runDeployment(t, 'no-scaling', { ...echoDeployment('iam-scaling'), autoscaling: { minCapacity: 0, maxCapacity: 1 } });
    expect(outcome(run).status).toBe('SUCCEEDED');
    const audit = await readAuditRecord(t, 'iam-scaling', 'no-scaling');
    expect(audit.finalize?.warnings).toEqual([
      'autoscaling of endpoint iam-scaling not configured: AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/aep-finalize-role/aep-finalize ' +
        'is not authorized to perform: application-autoscaling:RegisterScalableTarget on resource: * because no identity-based policy allows the ' +
        'application-autoscaling:RegisterScalableTarget action',
    ]);
    const scaling = new ApplicationAutoScalingClient({ endpoint: t.aws.url, region: t.aws.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    try {
      expect((await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }))).ScalableTargets).toEqual([]);
    } finally {
      scaling.destroy();
    }
  });
});
