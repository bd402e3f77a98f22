import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** The Connect resource kinds `TransferContact` authorizes against, under an instance ARN. */
export const CONNECT_RESOURCE_KINDS = ['contact', 'contact-flow', 'queue', 'agent'] as const;

const instanceArn = (scope: IConstruct, instanceId: string) =>
  Stack.of(scope).formatArn({ service: 'connect', resource: 'instance', resourceName: instanceId });

/**
 * The worker's Connect permissions, on the configured instances only (never `*`): `TransferContact` on the
 * instance and its contacts, flows, queues and agents; reading contacts (never changing them), because the
 * chain of a contact the ledger never saw, and what an attempt whose answer was lost did, are asked of
 * Connect's own record; and setting the attributes a request carries on the contact it transfers.
 */
export function connectPolicyStatements(
  scope: IConstruct,
  instanceIds: readonly string[],
): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'TransferContactsOfConfiguredInstances',
      actions: ['connect:TransferContact'],
      resources: instanceIds.flatMap((id) => {
        const arn = instanceArn(scope, id);
        return [arn, ...CONNECT_RESOURCE_KINDS.map((kind) => `${arn}/${kind}/*`)];
      }),
    }),
    new iam.PolicyStatement({
      sid: 'ReadContactsOfConfiguredInstances',
      actions: ['connect:DescribeContact', 'connect:ListAssociatedContacts'],
      resources: instanceIds.map((id) => `${instanceArn(scope, id)}/contact/*`),
    }),
    new iam.PolicyStatement({
      sid: 'SetAttributesOfContactsOfConfiguredInstances',
      actions: ['connect:UpdateContactAttributes'],
      resources: instanceIds.map((id) => `${instanceArn(scope, id)}/contact/*`),
    }),
  ];
}

/**
 * The prefix of a Connect ARN as cdk-nag renders it in a finding's id: pseudo parameters as
 * `<AWS::Partition>`, `<AWS::Region>`, `<AWS::AccountId>` unless the stack names them.
 */
export function renderedConnectArnPrefix(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const rendered = (value: string, pseudo: string) =>
    Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
  return `arn:${rendered(stack.partition, 'Partition')}:connect:${rendered(stack.region, 'Region')}:${rendered(stack.account, 'AccountId')}`;
}
