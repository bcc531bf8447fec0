import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestAws, type TestAws } from '../helpers/embedded';

/**
 * The embedded IAM and STS as the common scripts use them — the AWS CLI and boto3 looking the SageMaker execution
 * role up, creating a role, assuming the role — and the AccessDenied AWS answers a role session for what its policy
 * does not allow, in each protocol's shape (S3 XML, SNS Query, SageMaker JSON).
 */

const run = promisify(execFile);
// The AWS CLI takes 10-20 s per call on a busy shared machine.
jest.setTimeout(240_000);
let t: TestAws;

beforeAll(async () => {
  t = await startTestAws();
}, 120_000);
afterAll(() => t?.stop());

const aws = async (...args: string[]) => JSON.parse((await run('aws', [...args, '--output', 'json'], { env: t.cliEnv })).stdout || '{}');

test('aws iam: get-role and list-roles find the SageMaker execution role and the step roles; create-role adds one', async () => {
  const { Role } = await aws('iam', 'get-role', '--role-name', 'aep-sagemaker-execution');
  expect(Role).toMatchObject({ RoleName: 'aep-sagemaker-execution', Arn: t.aws.names.sagemakerRoleArn, Path: '/' });
  expect(Role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'sagemaker.amazonaws.com' });

  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  const created = await aws('iam', 'create-role', '--role-name', 'my-notebook-role', '--path', '/service-role/', '--assume-role-policy-document', trust);
  expect(created.Role).toMatchObject({ RoleName: 'my-notebook-role', Arn: 'arn:aws:iam::000000000000:role/service-role/my-notebook-role' });

  const { Roles } = await aws('iam', 'list-roles');
  const listed = Roles.map((r: { RoleName: string }) => r.RoleName);
  expect(listed).toEqual(expect.arrayContaining(['aep-sagemaker-execution', 'aep-create-model-role', 'my-notebook-role']));
});

test('boto3: assume the SageMaker role; its session is that role, and AWS refuses what its policy does not allow', async () => {
  const script = `
import boto3, json, sys
from botocore.exceptions import ClientError
iam = boto3.client('iam')
role_arn = next(r['Arn'] for page in iam.get_paginator('list_roles').paginate() for r in page['Roles'] if r['RoleName'] == 'aep-sagemaker-execution')
assert iam.get_role(RoleName='aep-sagemaker-execution')['Role']['Arn'] == role_arn
creds = boto3.client('sts').assume_role(RoleArn=role_arn, RoleSessionName='notebook')['Credentials']
session = boto3.Session(aws_access_key_id=creds['AccessKeyId'], aws_secret_access_key=creds['SecretAccessKey'], aws_session_token=creds['SessionToken'])
out = {'identity': session.client('sts').get_caller_identity()['Arn']}
def error(call):
    try:
        call()
        return None
    except ClientError as e:
        return {'code': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'message': e.response['Error']['Message']}
out['s3'] = error(lambda: session.client('s3').put_object(Bucket='aep-models', Key='models/x/model.tar.gz', Body=b'x'))
out['sns'] = error(lambda: session.client('sns').publish(TopicArn=sys.argv[1], Message='hi'))
out['sagemaker'] = error(lambda: session.client('sagemaker').list_models())
out['no_such_role'] = error(lambda: iam.get_role(RoleName='nope'))
out['exists'] = error(lambda: iam.create_role(RoleName='aep-sagemaker-execution', AssumeRolePolicyDocument='{}'))
out['missing_role'] = error(lambda: boto3.client('sts').assume_role(RoleArn='arn:aws:iam::000000000000:role/nope', RoleSessionName='xy'))
print(json.dumps(out))
`;
  const { stdout } = await run('python3', ['-c', script, t.aws.names.deploymentEventsTopicArn], { env: t.cliEnv });
  const out = JSON.parse(stdout);
  const principal = 'arn:aws:sts::000000000000:assumed-role/aep-sagemaker-execution/notebook';
  expect(out.identity).toBe(principal);
  expect(out.s3).toEqual({
    code: 'AccessDenied',
    status: 403,
    message: `User: ${principal} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::aep-models/models/x/model.tar.gz" because no identity-based policy allows the s3:PutObject action`,
  });
  expect(out.sns).toEqual({
    code: 'AuthorizationError',
    status: 403,
    message: `User: ${principal} is not authorized to perform: SNS:Publish on resource: ${t.aws.names.deploymentEventsTopicArn} because no identity-based policy allows the SNS:Publish action`,
  });
  expect(out.sagemaker).toMatchObject({
    code: 'AccessDeniedException',
    message: `User: ${principal} is not authorized to perform: sagemaker:ListModels on resource: * because no identity-based policy allows the sagemaker:ListModels action`,
  });
  expect(out.missing_role).toMatchObject({ code: 'AccessDenied', status: 403 });
  expect(out.no_such_role).toEqual({ code: 'NoSuchEntity', status: 404, message: 'The role with name nope cannot be found.' });
  expect(out.exists).toEqual({ code: 'EntityAlreadyExists', status: 409, message: 'Role with name aep-sagemaker-execution already exists.' });
});
