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

/**
 * An SQS client. With an endpoint (`--endpoint-url`, `AWS_ENDPOINT_URL_SQS` or `AWS_ENDPOINT_URL`) it is
 * used for every queue URL, whatever host the URL names (a local SQS's URLs name hosts that do not resolve).
 */
export const sqsClient = (flags: ConnectionFlags): SQSClient => {
  const endpoint = flags['endpoint-url'] ?? process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  return new SQSClient({ ...common(flags), ...(endpoint && { useQueueUrlAsEndpoint: false }) });
};

/** An EventBridge client from the connection flags. */
export const eventBridgeClient = (flags: ConnectionFlags): EventBridgeClient =>
  new EventBridgeClient(common(flags));

/** A DynamoDB client from the connection flags. */
export const dynamoDbClient = (flags: ConnectionFlags): DynamoDBClient => new DynamoDBClient(common(flags));

export { CONNECTION_OPTIONS } from './connectionOptions.js';
