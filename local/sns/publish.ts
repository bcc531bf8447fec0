import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error';
import { queryList, requiredParam, type QueryParams } from '../protocols/query';
import type { PublishedMessage, Topic } from './store';

/** SNS's limit on a message and its attributes together. */
const MAX_MESSAGE_BYTES = 256 * 1024;

const invalidParameter = (what: string) => new AwsError('InvalidParameter', `Invalid parameter: ${what}`, 400);

/** Validates a Publish request as SNS does and builds the message to keep. */
export function publishedMessage(params: QueryParams, topic: Topic, nextSequenceNumber: () => string): PublishedMessage {
  const message = requiredParam(params, 'Message');
  if (message === '') throw invalidParameter('Empty message');
  const subject = params.Subject;
  if (subject !== undefined && (subject === '' || subject.length > 100 || /[\r\n]/.test(subject))) throw invalidParameter('Subject');
  if (params.MessageStructure !== undefined) {
    if (params.MessageStructure !== 'json') throw invalidParameter('MessageStructure');
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw invalidParameter('Message Structure - JSON message body failed to parse');
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as Record<string, unknown>).default !== 'string') {
      throw invalidParameter('Message Structure - No default entry in JSON message body');
    }
  }
  const messageAttributes: PublishedMessage['messageAttributes'] = {};
  let size = Buffer.byteLength(message);
  for (const entry of queryList(params, 'MessageAttributes.entry')) {
    const name = entry.Name ?? '';
    const dataType = entry['Value.DataType'] ?? '';
    if (!name) throw invalidParameter('MessageAttributes Reason: an attribute has no name');
    if (!/^(String|Number|Binary)(\..+)?$/.test(dataType)) {
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
        400,
      );
    }
    const value = dataType.startsWith('Binary') ? entry['Value.BinaryValue'] : entry['Value.StringValue'];
    if (value === undefined) throw new AwsError('ParameterValueInvalid', `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType.split('.')[0]}'.`, 400);
    if (dataType.startsWith('Number') && !Number.isFinite(Number(value))) {
      throw new AwsError('ParameterValueInvalid', `Could not cast message attribute '${name}' value to number.`, 400);
    }
    messageAttributes[name] = dataType.startsWith('Binary') ? { DataType: dataType, BinaryValue: value } : { DataType: dataType, StringValue: value };
    size += Buffer.byteLength(name) + Buffer.byteLength(dataType) + Buffer.byteLength(value);
  }
  if (size > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
  const fifo = topic.attributes.FifoTopic === 'true';
  if (fifo) {
    if (!params.MessageGroupId) throw invalidParameter('The MessageGroupId parameter is required for FIFO topics');
    if (!params.MessageDeduplicationId && topic.attributes.ContentBasedDeduplication !== 'true') {
      throw invalidParameter('The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
    }
  }
  return {
    messageId: randomUUID(),
    topicArn: topic.arn,
    message,
    subject,
    messageStructure: params.MessageStructure,
    messageAttributes,
    messageGroupId: params.MessageGroupId,
    messageDeduplicationId: params.MessageDeduplicationId,
    sequenceNumber: fifo ? nextSequenceNumber() : undefined,
    timestamp: new Date().toISOString(),
  };
}
