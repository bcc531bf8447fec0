"""Drives the embedded AWS with boto3 and checks every parsed response against botocore's output shape.

Usage: conformance.py <endpoint-url> <models-bucket>. Prints one JSON document:
  probe:     per service, which operations of botocore's model the embedded AWS implements and which it refuses
             (UnknownOperationException / InvalidAction), found by calling every operation with an empty input;
  calls:     each scenario call with the problems found in its response (missing required members, values
             outside an enum, wrong types); an empty list means the response matched its output shape.
"""
import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL, BUCKET = sys.argv[1], sys.argv[2]
RAW = Config(parameter_validation=False, inject_host_prefix=False, retries={'max_attempts': 1})
# MissingAuthenticationToken: operations botocore sends unsigned (AssumeRoleWithSAML/WebIdentity), which the
# request guard refuses — no request without the AWS request shape reaches a service. NotImplemented: S3's own code
# for a sub-resource or API it does not implement (REST-XML has no unknown-operation error).
REFUSED = {'UnknownOperationException', 'InvalidAction', 'MissingAuthenticationToken', 'NotImplemented'}
PROBED = ['sagemaker', 'sagemaker-runtime', 'sns', 'stepfunctions', 'cloudwatch', 'events', 'sts', 'application-autoscaling', 's3']


def client(name, config=None):
    return boto3.client(name, endpoint_url=URL, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test', config=config)


def problems(shape, value, path='$'):
    """Where a parsed value breaks its botocore shape: required members, enums, types."""
    found = []
    kind = shape.type_name
    if kind == 'structure':
        if not isinstance(value, dict):
            return [f'{path}: expected a structure']
        for name in shape.required_members:
            if name not in value:
                found.append(f'{path}.{name}: required member missing')
        for name, member in shape.members.items():
            if name in value and not member.serialization.get('eventstream'):
                found += problems(member, value[name], f'{path}.{name}')
    elif kind == 'list':
        if not isinstance(value, list):
            return [f'{path}: expected a list']
        for i, item in enumerate(value):
            found += problems(shape.member, item, f'{path}[{i}]')
    elif kind == 'map':
        if not isinstance(value, dict):
            return [f'{path}: expected a map']
        for k, v in value.items():
            found += problems(shape.value, v, f'{path}.{k}')
    elif kind == 'string':
        if not isinstance(value, str):
            return [f'{path}: expected a string']
        if shape.enum and value not in shape.enum:
            found.append(f'{path}: {value!r} is not one of the enum values')
    elif kind in ('integer', 'long') and not (isinstance(value, int) and not isinstance(value, bool)):
        found.append(f'{path}: expected an integer')
    elif kind == 'boolean' and not isinstance(value, bool):
        found.append(f'{path}: expected a boolean')
    return found


calls = []


def call(service, op, **params):
    c = clients[service]
    result = getattr(c, c.meta.method_to_api_mapping and {v: k for k, v in c.meta.method_to_api_mapping.items()}[op])(**params)
    output = c.meta.service_model.operation_model(op).output_shape
    body = {k: v for k, v in result.items() if k != 'ResponseMetadata'}
    calls.append({'service': service, 'operation': op, 'problems': problems(output, body) if output else []})
    return result


def call_or_error(service, op, **params):
    """A call that may end in one of the operation's modeled errors (an unknown token, a finished execution)."""
    try:
        return call(service, op, **params)
    except ClientError as e:
        model = clients[service].meta.service_model.operation_model(op)
        code = e.response['Error']['Code']
        modeled = [shape.metadata.get('error', {}).get('code', shape.name) for shape in model.error_shapes]
        calls.append({'service': service, 'operation': op, 'problems': [] if code in modeled else [f'error {code} is not one of {modeled}']})


def probe(name):
    c = client(name, RAW)
    model = c.meta.service_model
    to_method = {v: k for k, v in c.meta.method_to_api_mapping.items()}
    implemented, refused = [], []
    for op in model.operation_names:
        shape = model.operation_model(op).input_shape
        # Members bound to the URI or the host must be present for the request to be built at all.
        params = {n: 'x' for n, m in (shape.members.items() if shape else []) if m.serialization.get('location') == 'uri' or m.serialization.get('hostLabel')}
        try:
            getattr(c, to_method[op])(**params)
            implemented.append(op)
        except ClientError as e:
            code = e.response.get('Error', {}).get('Code')
            if code in REFUSED:
                refused.append(op)
            elif code in (None, 'Unknown'):
                raise RuntimeError(f'{name} {op}: the error response could not be parsed ({e.response})')
            else:
                implemented.append(op)
        except Exception:  # a client-side failure (e.g. an event stream it cannot build): not answered by the server
            implemented.append(op)
    return {'implemented': sorted(implemented), 'refused': sorted(refused)}


clients = {n: client(n) for n in ['sagemaker', 'sagemaker-runtime', 'sns', 'stepfunctions', 'cloudwatch', 'events', 'sts', 's3', 'application-autoscaling']}
report = {'probe': {name: probe(name) for name in PROBED}}

# SNS
topic = call('sns', 'CreateTopic', Name='conformance')['TopicArn']
call('sns', 'ListTopics')
call('sns', 'GetTopicAttributes', TopicArn=topic)
call('sns', 'SetTopicAttributes', TopicArn=topic, AttributeName='DisplayName', AttributeValue='c')
sub = call('sns', 'Subscribe', TopicArn=topic, Protocol='email', Endpoint='ops@example.com', ReturnSubscriptionArn=True)['SubscriptionArn']
call('sns', 'ListSubscriptionsByTopic', TopicArn=topic)
call('sns', 'Publish', TopicArn=topic, Message='hello', Subject='s')
call('sns', 'Unsubscribe', SubscriptionArn=sub)
call('sns', 'DeleteTopic', TopicArn=call('sns', 'CreateTopic', Name='conformance-gone')['TopicArn'])

# SageMaker + Runtime: an async endpoint on the echo container
clients['s3'].put_object(Bucket=BUCKET, Key='conformance/in.json', Body=b'{"q": 1}')
call('sagemaker', 'CreateModel', ModelName='conf', PrimaryContainer={'Image': 'local/echo:latest'}, ExecutionRoleArn='arn:aws:iam::000000000000:role/conf-role')
call('sagemaker', 'DescribeModel', ModelName='conf')
call('sagemaker', 'ListModels')
call('sagemaker', 'CreateEndpointConfig', EndpointConfigName='conf', ProductionVariants=[{'VariantName': 'AllTraffic', 'ModelName': 'conf', 'InitialInstanceCount': 1, 'InstanceType': 'ml.m5.large'}],
     AsyncInferenceConfig={'ClientConfig': {'MaxConcurrentInvocationsPerInstance': 2}, 'OutputConfig': {'S3OutputPath': f's3://{BUCKET}/conformance/out/', 'NotificationConfig': {'SuccessTopic': topic, 'ErrorTopic': topic}}})
call('sagemaker', 'DescribeEndpointConfig', EndpointConfigName='conf')
call('sagemaker', 'ListEndpointConfigs')
arn = call('sagemaker', 'CreateEndpoint', EndpointName='conf', EndpointConfigName='conf')['EndpointArn']
deadline = time.time() + 60
while call('sagemaker', 'DescribeEndpoint', EndpointName='conf')['EndpointStatus'] != 'InService' and time.time() < deadline:
    time.sleep(0.2)
call('sagemaker', 'ListEndpoints')
call('sagemaker', 'AddTags', ResourceArn=arn, Tags=[{'Key': 'k', 'Value': 'v'}])
call('sagemaker', 'ListTags', ResourceArn=arn)
call('sagemaker', 'DeleteTags', ResourceArn=arn, TagKeys=['k'])
call('sagemaker-runtime', 'InvokeEndpoint', EndpointName='conf', Body=b'{"q": 2}', ContentType='application/json', CustomAttributes='c=1')
call('sagemaker-runtime', 'InvokeEndpointAsync', EndpointName='conf', InputLocation=f's3://{BUCKET}/conformance/in.json')

# Application Auto Scaling on the endpoint's variant
target = dict(ServiceNamespace='sagemaker', ResourceId='endpoint/conf/variant/AllTraffic', ScalableDimension='sagemaker:variant:DesiredInstanceCount')
call_or_error('application-autoscaling', 'RegisterScalableTarget', MinCapacity=1, MaxCapacity=2, **target)
call('application-autoscaling', 'DescribeScalableTargets', ServiceNamespace='sagemaker')
call_or_error('application-autoscaling', 'PutScalingPolicy', PolicyName='conf', PolicyType='TargetTrackingScaling', **target,
              TargetTrackingScalingPolicyConfiguration={'TargetValue': 5.0, 'CustomizedMetricSpecification': {'MetricName': 'ApproximateBacklogSizePerInstance', 'Namespace': 'AWS/SageMaker', 'Dimensions': [{'Name': 'EndpointName', 'Value': 'conf'}], 'Statistic': 'Average'}})
call('application-autoscaling', 'DescribeScalingPolicies', ServiceNamespace='sagemaker')
call('application-autoscaling', 'DescribeScalingActivities', ServiceNamespace='sagemaker')
call_or_error('application-autoscaling', 'DeleteScalingPolicy', PolicyName='conf', **target)
call_or_error('application-autoscaling', 'DeregisterScalableTarget', **target)
call('sagemaker', 'UpdateEndpoint', EndpointName='conf', EndpointConfigName='conf')
deadline = time.time() + 60
while call('sagemaker', 'DescribeEndpoint', EndpointName='conf')['EndpointStatus'] != 'InService' and time.time() < deadline:
    time.sleep(0.2)
call_or_error('sagemaker', 'UpdateEndpointWeightsAndCapacities', EndpointName='conf', DesiredWeightsAndCapacities=[{'VariantName': 'AllTraffic', 'DesiredInstanceCount': 1}])
deadline = time.time() + 60
while call('sagemaker', 'DescribeEndpoint', EndpointName='conf')['EndpointStatus'] != 'InService' and time.time() < deadline:
    time.sleep(0.2)
call('sagemaker', 'DeleteEndpoint', EndpointName='conf')
call('sagemaker', 'DeleteEndpointConfig', EndpointConfigName='conf')
call('sagemaker', 'DeleteModel', ModelName='conf')

# Step Functions: the pipeline state machine, one execution that fails fast in ValidateInput
machine = call('stepfunctions', 'ListStateMachines')['stateMachines'][0]['stateMachineArn']
call('stepfunctions', 'DescribeStateMachine', stateMachineArn=machine)
execution = call('stepfunctions', 'StartExecution', stateMachineArn=machine, name='conformance', input='{"modelDataUrl": "s3://nowhere-bucket/x/model.tar.gz"}')['executionArn']
deadline = time.time() + 60
while call('stepfunctions', 'DescribeExecution', executionArn=execution)['status'] == 'RUNNING' and time.time() < deadline:
    time.sleep(0.2)
call('stepfunctions', 'DescribeStateMachineForExecution', executionArn=execution)
call('stepfunctions', 'GetExecutionHistory', executionArn=execution)
call('stepfunctions', 'ListExecutions', stateMachineArn=machine)
stopped = call('stepfunctions', 'StartExecution', stateMachineArn=machine, name='conformance-stop', input='{"modelDataUrl": "s3://nowhere-bucket/x/model.tar.gz"}')['executionArn']
call_or_error('stepfunctions', 'StopExecution', executionArn=stopped, error='Conformance', cause='stopped by the conformance test')
call_or_error('stepfunctions', 'SendTaskSuccess', taskToken='no-such-token', output='{}')
call_or_error('stepfunctions', 'SendTaskFailure', taskToken='no-such-token', error='E', cause='c')
call_or_error('stepfunctions', 'SendTaskHeartbeat', taskToken='no-such-token')

# CloudWatch
call('cloudwatch', 'PutMetricData', Namespace='Conformance', MetricData=[{'MetricName': 'm', 'Value': 1.0, 'Unit': 'Count'}])
call('cloudwatch', 'ListMetrics', Namespace='Conformance')
now = time.time()
call('cloudwatch', 'GetMetricStatistics', Namespace='Conformance', MetricName='m', StartTime=now - 600, EndTime=now + 60, Period=60, Statistics=['Sum'])
call('cloudwatch', 'GetMetricData', StartTime=now - 600, EndTime=now + 60, MetricDataQueries=[{'Id': 'q', 'MetricStat': {'Metric': {'Namespace': 'Conformance', 'MetricName': 'm'}, 'Period': 60, 'Stat': 'Sum'}}])
call('cloudwatch', 'PutMetricAlarm', AlarmName='conf', Namespace='Conformance', MetricName='m', Statistic='Sum', Period=60, EvaluationPeriods=1, Threshold=5, ComparisonOperator='GreaterThanThreshold')
call('cloudwatch', 'DescribeAlarms', AlarmNames=['conf'])
call('cloudwatch', 'DescribeAlarmsForMetric', Namespace='Conformance', MetricName='m')
call('cloudwatch', 'SetAlarmState', AlarmName='conf', StateValue='ALARM', StateReason='conformance')
call('cloudwatch', 'DescribeAlarmHistory', AlarmName='conf')
call('cloudwatch', 'DeleteAlarms', AlarmNames=['conf'])

# EventBridge
pattern = json.dumps({'source': ['conformance']})
call('events', 'PutRule', Name='conf', EventPattern=pattern)
call('events', 'DescribeRule', Name='conf')
call('events', 'ListRules')
call_or_error('events', 'PutTargets', Rule='conf', Targets=[{'Id': 't', 'Arn': 'arn:aws:lambda:us-east-1:000000000000:function:conformance'}])
call('events', 'ListTargetsByRule', Rule='conf')
call('events', 'TestEventPattern', EventPattern=pattern, Event=json.dumps({'id': '1', 'account': '000000000000', 'source': 'conformance', 'time': '2026-01-01T00:00:00Z', 'region': 'us-east-1', 'resources': [], 'detail-type': 'x', 'detail': {}}))
call('events', 'PutEvents', Entries=[{'Source': 'conformance', 'DetailType': 'x', 'Detail': '{}'}])
call_or_error('events', 'RemoveTargets', Rule='conf', Ids=['t'])
call('events', 'DeleteRule', Name='conf')

# STS
call('sts', 'GetCallerIdentity')
call('sts', 'AssumeRole', RoleArn='arn:aws:iam::000000000000:role/aep-sagemaker-execution', RoleSessionName='conformance')

# S3: every operation it implements, a COMPOSITE CRC32 multipart upload with a copied part among them
bucket = 'conformance-s3'
# In a region of its own: boto3 reads us-east-1's empty LocationConstraint as None, which no shape check can judge.
call('s3', 'CreateBucket', Bucket=bucket, CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
call('s3', 'HeadBucket', Bucket=bucket)
call('s3', 'GetBucketLocation', Bucket=bucket)
call('s3', 'ListBuckets')
call('s3', 'PutObject', Bucket=bucket, Key='a/one.txt', Body=b'one', ContentType='text/plain', Metadata={'k': 'v'})
call('s3', 'GetObject', Bucket=bucket, Key='a/one.txt', ChecksumMode='ENABLED')['Body'].read()
call('s3', 'HeadObject', Bucket=bucket, Key='a/one.txt')
call('s3', 'CopyObject', Bucket=bucket, Key='a/two.txt', CopySource={'Bucket': bucket, 'Key': 'a/one.txt'})
call('s3', 'ListObjectsV2', Bucket=bucket, Prefix='a/', Delimiter='/')
call('s3', 'ListObjects', Bucket=bucket)
upload = call('s3', 'CreateMultipartUpload', Bucket=bucket, Key='big', ChecksumAlgorithm='CRC32')['UploadId']
first = call('s3', 'UploadPart', Bucket=bucket, Key='big', UploadId=upload, PartNumber=1, Body=b'x' * (5 * 1024 * 1024), ChecksumAlgorithm='CRC32')
second = call('s3', 'UploadPartCopy', Bucket=bucket, Key='big', UploadId=upload, PartNumber=2, CopySource={'Bucket': bucket, 'Key': 'a/one.txt'})['CopyPartResult']
call('s3', 'ListParts', Bucket=bucket, Key='big', UploadId=upload)
call('s3', 'ListMultipartUploads', Bucket=bucket)
call('s3', 'CompleteMultipartUpload', Bucket=bucket, Key='big', UploadId=upload, MultipartUpload={'Parts': [
    {'PartNumber': 1, 'ETag': first['ETag'], 'ChecksumCRC32': first['ChecksumCRC32']},
    {'PartNumber': 2, 'ETag': second['ETag'], 'ChecksumCRC32': second['ChecksumCRC32']}]})
call('s3', 'AbortMultipartUpload', Bucket=bucket, Key='gone', UploadId=call('s3', 'CreateMultipartUpload', Bucket=bucket, Key='gone')['UploadId'])
call('s3', 'DeleteObjects', Bucket=bucket, Delete={'Objects': [{'Key': 'a/one.txt'}, {'Key': 'a/two.txt'}]})
call('s3', 'DeleteObject', Bucket=bucket, Key='big')
call('s3', 'DeleteBucket', Bucket=bucket)

# Services the embedded AWS does not have: refused in the caller's protocol, parsed by botocore into a named error.
unknown = {}
for name, method in [('autoscaling', 'describe_auto_scaling_groups'), ('dynamodb', 'list_tables'), ('lambda', 'list_functions')]:
    try:
        getattr(client(name, RAW), method)()
        unknown[name] = 'answered'
    except ClientError as e:
        unknown[name] = e.response.get('Error', {}).get('Code')
report['unknownServices'] = unknown
report['calls'] = calls
print(json.dumps(report))
