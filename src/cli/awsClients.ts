import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

/** The AWS CLI's connection flags; anything unset comes from the SDK's standard chain. */
export interface ConnectionFlags {
  readonly 'endpoint-url'?: string;
  readonly region?: string;
  readonly profile?: string;
}

const common = (flags: ConnectionFlags) => ({
  ...(flags['endpoint-url'] && { endpoint: flags['endpoint-url'] }),
  ...(flags.region && { region: flags.region }),
  ...(flags.profile && { profile: flags.profile }),
});

/** An SQS client; with `--endpoint-url` it is used for every queue URL, whatever host the URL names. */
export const sqsClient = (flags: ConnectionFlags): SQSClient =>
  new SQSClient({ ...common(flags), ...(flags['endpoint-url'] && { useQueueUrlAsEndpoint: false }) });

/** An EventBridge client from the connection flags. */
export const eventBridgeClient = (flags: ConnectionFlags): EventBridgeClient =>
  new EventBridgeClient(common(flags));

/** A DynamoDB client from the connection flags. */
export const dynamoDbClient = (flags: ConnectionFlags): DynamoDBClient => new DynamoDBClient(common(flags));

export { CONNECTION_OPTIONS } from './connectionOptions.js';
