import { runSimulation } from '@cloud-copilot/iam-simulate';
const base = (action: string, resource: string, ctx: Record<string, string|string[]>, stmts: any[], rp?: any) => runSimulation({
    identityPolicies: [{ name: 'p', policy: { Version: '2012-10-17', Statement: stmts } }],
    serviceControlPolicies: [], resourceControlPolicies: [], resourcePolicy: rp,
    request: { action, principal: 'arn:aws:sts::000000000000:assumed-role/r/s', resource: { accountId: '000000000000', resource },
      contextVariables: ctx },
  } as any, {});
(async () => {
  let r: any = await base('sagemaker:UpdateEndpoint', 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/e', { 'aws:ResourceTag/aep:pipeline': 'x', 'aws:SecureTransport': 'true', 'aws:PrincipalArn': 'arn:aws:iam::000000000000:role/r' },
    [{ Effect: 'Allow', Action: 'sagemaker:UpdateEndpoint', Resource: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/*', Condition: { StringEquals: { 'aws:ResourceTag/aep:pipeline': 'x' } } }]);
  console.log(r.resultType, r.overallResult, JSON.stringify(r.errors));
  r = await base('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': 'true', 'foo:bar': 'x' },
    [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
    { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] });
  console.log(r.resultType, r.overallResult, JSON.stringify(r.errors));
  r = await base('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': 'false' },
    [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
    { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] });
  console.log(r.resultType, r.overallResult, JSON.stringify(r.result?.analysis?.denyExplains ?? Object.keys(r.result?.analysis ?? {})));
  r = await base('kms:GenerateDataKey', 'arn:aws:kms:us-east-1:000000000000:key/1234', { },
    [{ Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: 'arn:aws:kms:us-east-1:000000000000:key/1234' }],
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'kms:*', Resource: '*' }] });
  console.log(r.resultType, r.overallResult, JSON.stringify(r.errors));
  r = await base('sagemaker:ListModels', '*', { }, [{ Effect: 'Allow', Action: 'sagemaker:ListModels', Resource: '*' }]);
  console.log(r.resultType, r.overallResult, JSON.stringify(r.errors));
})();
