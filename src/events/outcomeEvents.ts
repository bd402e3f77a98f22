import { z } from 'zod';
import {
  OUTCOME_EVENT_SOURCE,
  OUTCOME_EVENT_VERSION,
  TRANSFER_COMPLETED_DETAIL_TYPE,
  TRANSFER_FAILED_DETAIL_TYPE,
} from '../contract/events.js';

/** The request as an outcome event repeats it: the `TransferContact` input, token included. */
const OutcomeRequestSchema = z
  .object({
    InstanceId: z.string(),
    ContactId: z.string(),
    ContactFlowId: z.string(),
    QueueId: z.string().optional(),
    UserId: z.string().optional(),
    ClientToken: z.string(),
    Attributes: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'The contact attributes the request set before its transfer' }),
  })
  .loose()
  .meta({ description: 'The TransferContact input the request carried, with the ClientToken it ran under' });

/**
 * The `detail` of a `Transfer Contact Completed` event: the request transferred (or a repeat of its token
 * was answered from the orchestrator's records, `Replayed: true`).
 */
export const TransferCompletedDetailSchema = z
  .object({
    version: z.literal(OUTCOME_EVENT_VERSION),
    ClientToken: z.string().meta({ description: 'Dedupe on it: delivery is at least once' }),
    Request: OutcomeRequestSchema,
    ContactId: z
      .string()
      .meta({ description: 'The contact after the transfer (a task transfer starts a new one)' }),
    ContactArn: z.string(),
    Replayed: z
      .boolean()
      .meta({ description: 'Answered from records of an earlier transfer, Connect not called' }),
    SettledBy: z.enum(['ledger', 'reconciliation']).optional(),
    Attempts: z.number().int().min(1).meta({ description: 'SQS deliveries of this message so far' }),
    LatencyMs: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'From the request first reaching the queue to now' }),
    MessageId: z.string().meta({
      description:
        'The id of the message the producer sent, kept when the worker sent the request back to the queue (to wait for its slot, or throttled on its last delivery)',
    }),
  })
  // Loose: a consumer must accept fields added later without a version change.
  .loose()
  .meta({ title: 'Transfer Contact Completed (detail)' });

/** The `detail` of a `Transfer Contact Failed` event: the request is in the DLQ, with this reason. */
export const TransferFailedDetailSchema = z
  .object({
    version: z.literal(OUTCOME_EVENT_VERSION),
    ClientToken: z.string().optional().meta({ description: 'Absent only for a body that names no token' }),
    Request: OutcomeRequestSchema.optional(),
    Body: z.string().optional().meta({
      description: 'The raw message body (its first 8,000 characters) when it is not a valid request',
    }),
    ErrorClass: z.enum([
      'InvalidRequest',
      'CapReached',
      'PermanentConnectError',
      'AmbiguousTransfer',
      'Transient',
    ]),
    ErrorCode: z.string(),
    ErrorMessage: z.string(),
    Destination: z.literal('DLQ'),
    Attempts: z.number().int().min(1),
    MessageId: z.string().meta({
      description:
        'The id of the message the producer sent, kept when the worker sent the request back to the queue (to wait for its slot, or throttled on its last delivery)',
    }),
  })
  .loose()
  .meta({ title: 'Transfer Contact Failed (detail)' });

/** The `detail` of a `Transfer Contact Completed` event. */
export type TransferCompletedDetail = z.infer<typeof TransferCompletedDetailSchema>;
/** The `detail` of a `Transfer Contact Failed` event. */
export type TransferFailedDetail = z.infer<typeof TransferFailedDetailSchema>;

/** An outcome event as a consumer receives it from EventBridge. */
export type TransferOutcomeEvent =
  | {
      readonly source: typeof OUTCOME_EVENT_SOURCE;
      readonly 'detail-type': typeof TRANSFER_COMPLETED_DETAIL_TYPE;
      readonly detail: TransferCompletedDetail;
    }
  | {
      readonly source: typeof OUTCOME_EVENT_SOURCE;
      readonly 'detail-type': typeof TRANSFER_FAILED_DETAIL_TYPE;
      readonly detail: TransferFailedDetail;
    };

/**
 * The JSON Schemas of the two outcome events' `detail`, as shipped in `schemas/` (generated from the zod
 * schemas above, so the TypeScript types and the JSON Schemas cannot drift apart).
 *
 * @example
 * outcomeEventJsonSchemas()[TRANSFER_FAILED_DETAIL_TYPE].required; // ['version', 'ErrorClass', …]
 */
export function outcomeEventJsonSchemas(): Record<string, Record<string, unknown>> {
  const schema = (type: z.ZodType, detailType: string) => ({
    $id: `urn:connect-transfer-orchestrator:${detailType.toLowerCase().replaceAll(' ', '-')}:v${OUTCOME_EVENT_VERSION}`,
    description: `The detail of an EventBridge event of source '${OUTCOME_EVENT_SOURCE}' and detail-type '${detailType}'. Delivery is at least once: dedupe on ClientToken.`,
    ...z.toJSONSchema(type),
  });
  return {
    [TRANSFER_COMPLETED_DETAIL_TYPE]: schema(TransferCompletedDetailSchema, TRANSFER_COMPLETED_DETAIL_TYPE),
    [TRANSFER_FAILED_DETAIL_TYPE]: schema(TransferFailedDetailSchema, TRANSFER_FAILED_DETAIL_TYPE),
  };
}

/**
 * A request as the outcome events repeat it: the `TransferContact` fields, the token and any `Attributes`.
 *
 * @example
 * outcomeRequestOf(request); // { InstanceId, ContactId, ContactFlowId, QueueId, ClientToken }
 */
export function outcomeRequestOf(request: {
  readonly InstanceId: string;
  readonly ContactId: string;
  readonly ContactFlowId: string;
  readonly QueueId?: string;
  readonly UserId?: string;
  readonly ClientToken: string;
  readonly Attributes?: Readonly<Record<string, string>>;
}): z.infer<typeof OutcomeRequestSchema> {
  return {
    InstanceId: request.InstanceId,
    ContactId: request.ContactId,
    ContactFlowId: request.ContactFlowId,
    ...(request.QueueId !== undefined && { QueueId: request.QueueId }),
    ...(request.UserId !== undefined && { UserId: request.UserId }),
    ClientToken: request.ClientToken,
    ...(request.Attributes !== undefined && { Attributes: { ...request.Attributes } }),
  };
}
