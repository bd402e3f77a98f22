import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import {
  OUTCOME_EVENT_SOURCE,
  TRANSFER_COMPLETED_DETAIL_TYPE,
  TRANSFER_FAILED_DETAIL_TYPE,
} from '../../src/contract/index.js';
import { OutcomeEventNotPublishedError } from '../../src/domain/index.js';
import type { TransferCompletedDetail, TransferFailedDetail } from '../../src/events/outcomeEvents.js';
import { recordTraceHeader } from './tracing/recordTrace.js';

/**
 * Publishes each request's outcome on the orchestrator's bus: `Transfer Contact Completed` or `Transfer
 * Contact Failed` (source `connect-transfer-orchestrator`). Without a bus (outcome events turned off) it
 * publishes nothing. A failed put throws {@link OutcomeEventNotPublishedError}, so the record is delivered
 * again and the event published at least once.
 */
export class OutcomePublisher {
  constructor(
    private readonly client: EventBridgeClient | undefined,
    private readonly eventBusName: string | undefined,
  ) {}

  /**
   * Publishes that a request transferred (or replayed its transfer).
   *
   * @example
   * await outcomes.completed({ version: '1', ClientToken: 't', Request, ContactId, ContactArn, Replayed: false, Attempts: 1, LatencyMs: 820, MessageId });
   */
  async completed(detail: TransferCompletedDetail): Promise<void> {
    await this.#put(TRANSFER_COMPLETED_DETAIL_TYPE, detail);
  }

  /**
   * Publishes that a request was dead-lettered, with its reason.
   *
   * @example
   * await outcomes.failed({ version: '1', ErrorClass: 'CapReached', ErrorCode: 'TransferCapReached', … });
   */
  async failed(detail: TransferFailedDetail): Promise<void> {
    await this.#put(TRANSFER_FAILED_DETAIL_TYPE, detail);
  }

  async #put(detailType: string, detail: object): Promise<void> {
    if (!this.client || !this.eventBusName) return;
    let answer: PutEventsCommandOutput;
    const traceHeader = recordTraceHeader();
    try {
      answer = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.eventBusName,
              Source: OUTCOME_EVENT_SOURCE,
              DetailType: detailType,
              Detail: JSON.stringify(detail),
              // The record's producer trace goes on into the event and its rules' targets.
              ...(traceHeader && { TraceHeader: traceHeader }),
            },
          ],
        }),
      );
    } catch (error) {
      throw new OutcomeEventNotPublishedError(`${detailType} not published: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (answer.FailedEntryCount) {
      const entry = answer.Entries?.[0];
      throw new OutcomeEventNotPublishedError(
        `${detailType} not published: ${entry?.ErrorCode} ${entry?.ErrorMessage ?? ''}`,
      );
    }
  }
}
