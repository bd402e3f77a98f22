import { describe, expect, it } from 'vitest';
import { TransferClient, TransferRequestValidationError } from '../../../src/client/index.js';

// `npm test` type-checks the tests: a misspelt field must not compile (the unused @ts-expect-error would fail
// tsc), and at run time the schema refuses it before anything is sent.
describe('TransferClient: the request is the TransferContact input, typed', () => {
  it('refuses a misspelt field at compile time, and at run time before sending', async () => {
    const client = new TransferClient({ queueUrl: 'http://127.0.0.1:9/000000000000/q' });
    await expect(
      // @ts-expect-error QueueID is not a TransferContact field (QueueId is)
      client.enqueue({ InstanceId: 'i', ContactId: 'c', ContactFlowId: 'f', QueueID: 'q' }),
    ).rejects.toBeInstanceOf(TransferRequestValidationError);
  });
});
