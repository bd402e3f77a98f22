// The baseline of the overhead benchmark: a handler that only calls TransferContact for each record, with
// no validation, ledger, idempotency, pacing, DLQ, logs or metrics.
import { ConnectClient, TransferContactCommand } from '@aws-sdk/client-connect';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const connect = new ConnectClient({});

/** Transfers each record's request as it is; a failure fails its record. */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        await connect.send(new TransferContactCommand(JSON.parse(record.body)));
      } catch {
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
};
