import { type ConnectClient, TransferContactCommand } from '@aws-sdk/client-connect';
import { ConnectCallError } from '../../src/domain';
import type { TransferRequest } from '../../src/request';

/** What a completed transfer returns, and what a repeat of its token replays. */
export interface TransferResult {
  /** The transferred contact's id: it may differ from the request's (a transfer can start a new contact). */
  readonly ContactId: string;
  readonly ContactArn: string;
}

/**
 * Calls `TransferContact` with the request's own `ClientToken`, so Connect itself also answers a repeat
 * of the token with the first result. Every failure comes out as a {@link ConnectCallError}.
 *
 * @example
 * const { ContactId } = await transferContact(client, request);
 */
export async function transferContact(
  client: ConnectClient,
  request: TransferRequest,
): Promise<TransferResult> {
  try {
    const output = await client.send(
      new TransferContactCommand({
        InstanceId: request.InstanceId,
        ContactId: request.ContactId,
        ContactFlowId: request.ContactFlowId,
        QueueId: request.QueueId,
        UserId: request.UserId,
        ClientToken: request.ClientToken,
      }),
    );
    return { ContactId: output.ContactId ?? request.ContactId, ContactArn: output.ContactArn ?? '' };
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
    throw new ConnectCallError(e.name || e.code || 'UnknownError', e.$metadata?.httpStatusCode, e.message, {
      cause: error,
    });
  }
}
