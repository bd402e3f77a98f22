import { type ConnectClient, TransferContactCommand } from '@aws-sdk/client-connect';
import { type AttemptFailure, ConnectCallError } from '../../../src/domain/index.js';
import type { TransferRequest } from '../../../src/request/index.js';

/** What a completed transfer returns, and what a repeat of its token replays. */
export interface TransferResult {
  /** The transferred contact's id: it may differ from the request's (a transfer can start a new contact). */
  readonly ContactId: string;
  readonly ContactArn: string;
}

/**
 * Calls `TransferContact` with the request's own `ClientToken`, so Connect itself also answers a repeat
 * of the token with the first result. Every failure comes out as a {@link ConnectCallError} listing how
 * each of the SDK's attempts failed.
 *
 * @example
 * const { ContactId } = await transferContact(client, request);
 */
export async function transferContact(
  client: ConnectClient,
  request: TransferRequest,
): Promise<TransferResult> {
  const command = new TransferContactCommand({
    InstanceId: request.InstanceId,
    ContactId: request.ContactId,
    ContactFlowId: request.ContactFlowId,
    QueueId: request.QueueId,
    UserId: request.UserId,
    ClientToken: request.ClientToken,
  });
  // Inside the SDK's retry loop (the retry middleware is the high-priority finalizeRequest middleware) and
  // above deserialization, so this sees every attempt's error, not just the last one's.
  const attempts: AttemptFailure[] = [];
  command.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        attempts.push(attemptFailureOf(error));
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordTransferAttempts' },
  );
  try {
    const output = await client.send(command);
    return { ContactId: output.ContactId ?? request.ContactId, ContactArn: output.ContactArn ?? '' };
  } catch (error) {
    const last = attemptFailureOf(error);
    throw new ConnectCallError(last.code, last.httpStatusCode, (error as Error).message, {
      cause: error,
      attempts,
    });
  }
}

const attemptFailureOf = (error: unknown): AttemptFailure => {
  const e = error as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
  return { code: e.name || e.code || 'UnknownError', httpStatusCode: e.$metadata?.httpStatusCode };
};
