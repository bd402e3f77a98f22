import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MessageAttributeValue, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseTraceHeader } from '../../src/tracing/traceHeader.js';
import { seededRandom } from '../connect-simulator/random.js';
import { compileEventPattern } from './eventPattern.js';
import {
  apiError,
  type BusEvent,
  busNameOf,
  type Delivery,
  type EventBridgeCounts,
  entryProblem,
  eventTime,
  type LocalEventBridgeOptions,
  type LocalQueueTarget,
  type LocalRule,
  type LocalRuleTarget,
  type PutEventsEntry,
  type PutEventsResultEntry,
} from './model.js';
import { targetMessage } from './targetInput.js';

export type {
  BusEvent,
  Delivery,
  EventBridgeCounts,
  LocalEventBridgeOptions,
  LocalQueueTarget,
  LocalRule,
  LocalRuleTarget,
  PutEventsEntry,
  PutEventsResultEntry,
} from './model.js';

/** Failures EventBridge does not retry (it sends the event to the DLQ at once). */
const NOT_RETRIED = /QueueDoesNotExist|NonExistentQueue|AccessDenied|KmsAccessDenied|NO_PERMISSIONS/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * A local Amazon EventBridge for the local mode and the tests: the `PutEvents` API (awsJson1_1, so the
 * unmodified `@aws-sdk/client-eventbridge` talks to it through `AWS_ENDPOINT_URL_EVENTBRIDGE`), the stack's
 * buses and rules with their event patterns, input transformers and SQS targets, each target's retry policy
 * (compressed) and dead-letter queue with EventBridge's error attributes. Queue policies are enforced: a rule
 * the target queue's policy does not name cannot deliver. Sources under `aws.` are refused from the API, as
 * EventBridge refuses them; AWS services (the Connect simulator) put their events in process.
 *
 * @example
 * const bus = await LocalEventBridge.start({ sqsEndpoint: sqs.endpoint });
 * bus.configure({ buses: ['default'], rules: [rule] });
 * process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
 */
const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

export class LocalEventBridge {
  readonly #options: Required<LocalEventBridgeOptions>;
  readonly #server: Server;
  readonly #sqs: SQSClient;
  readonly #random: () => number;
  readonly #pending = new Set<Promise<void>>();
  readonly #listeners: ((busName: string, event: BusEvent, traceHeader?: string) => void)[] = [];
  readonly #deliveryListeners: ((delivery: Delivery) => void)[] = [];
  #failNextPuts = 0;
  #buses = new Set<string>(['default']);
  #rules: LocalRule[] = [];
  #matchers = new Map<LocalRule, (event: unknown) => boolean>();
  /** What the bus did so far. */
  readonly counts: EventBridgeCounts = {
    putEvents: 0,
    matched: 0,
    delivered: 0,
    duplicated: 0,
    retried: 0,
    deadLettered: 0,
    lost: 0,
  };

  private constructor(options: LocalEventBridgeOptions) {
    this.#options = {
      port: 0,
      region: 'us-east-1',
      accountId: '123456789012',
      duplicateDeliveryRate: 0,
      maxRetryAttempts: 3,
      retryDelayMs: 100,
      seed: 1,
      ...options,
    };
    this.#random = seededRandom(this.#options.seed);
    this.#sqs = new SQSClient({
      endpoint: options.sqsEndpoint,
      useQueueUrlAsEndpoint: false,
      maxAttempts: 1,
    });
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 1_000;
  }

  /** Starts it on 127.0.0.1. */
  static async start(options: LocalEventBridgeOptions): Promise<LocalEventBridge> {
    const bridge = new LocalEventBridge(options);
    await new Promise<void>((resolve, reject) => {
      bridge.#server.once('error', reject);
      bridge.#server.listen(bridge.#options.port, '127.0.0.1', resolve);
    });
    return bridge;
  }

  /** The base URL to give the SDK as `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /**
   * The buses (the default bus always exists) and the rules, replacing earlier ones. Each rule's pattern is
   * compiled here: a pattern EventBridge would refuse is refused now (`InvalidEventPatternError`), as
   * `PutRule` refuses it, not when an event first reaches its bad part.
   */
  configure(config: { readonly buses: readonly string[]; readonly rules: readonly LocalRule[] }): void {
    const compiled = config.rules.map((rule) => ({ rule, matches: compileEventPattern(rule.eventPattern) }));
    this.#buses = new Set(['default', ...config.buses]);
    this.#rules = config.rules.map((rule) => rule);
    this.#matchers = new Map(compiled.map(({ rule, matches }) => [rule, matches]));
  }

  /**
   * The next `count` `PutEvents` API calls fail every entry with `InternalFailure` (which EventBridge
   * documents as a per-entry failure the caller must retry), accepting nothing.
   *
   * @example
   * bridge.failNextPutEvents(1); // the worker's next outcome event is refused
   */
  failNextPutEvents(count: number): void {
    this.#failNextPuts = count;
  }

  /** Calls `listener` with each message a target delivered (the scenarios track every message sent). */
  onDelivery(listener: (delivery: Delivery) => void): void {
    this.#deliveryListeners.push(listener);
  }

  /**
   * Calls `listener` with each event a bus accepts (before any rule), for instance to print it, and the
   * trace it continues (its `TraceHeader`, or else the `PutEvents` call's `X-Amzn-Trace-Id`), if any.
   */
  onEvent(listener: (busName: string, event: BusEvent, traceHeader?: string) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Puts events on a bus, as `PutEvents` does. `asService`: an AWS service puts them (sources under `aws.`
   * are then allowed), as the Connect simulator does.
   *
   * @example
   * bridge.putEvents([{ Source: 'crm', DetailType: 'Transfer Contact Requested', Detail: '{…}', EventBusName: 'bus' }]);
   */
  putEvents(
    entries: readonly PutEventsEntry[],
    options: { asService?: boolean; traceHeader?: string } = {},
  ): PutEventsResultEntry[] {
    this.counts.putEvents += 1;
    return entries.map((entry) => this.#accept(entry, options.asService === true, options.traceHeader));
  }

  /** Waits until every delivery started so far has ended (delivered, dead-lettered or lost). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Stops listening (deliveries in flight are awaited). */
  async stop(): Promise<void> {
    await this.idle();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#sqs.destroy();
  }

  #accept(entry: PutEventsEntry, asService: boolean, callTrace: string | undefined): PutEventsResultEntry {
    const problem = entryProblem(entry, asService);
    if (problem) return problem;
    const busName = busNameOf(entry.EventBusName);
    if (!this.#buses.has(busName))
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType as string,
      source: entry.Source as string,
      account: this.#options.accountId,
      time: eventTime(entry.Time),
      region: this.#options.region,
      resources: [...(entry.Resources ?? [])],
      detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
    };
    // EventBridge passes a well-formed trace on to SQS targets as the message's `AWSTraceHeader`.
    const trace = [entry.TraceHeader, callTrace].find((header) => parseTraceHeader(header) !== undefined);
    for (const listener of this.#listeners) listener(busName, event, trace);
    for (const rule of this.#rules) {
      if (!rule.enabled || rule.busName !== busName || !this.#matchers.get(rule)?.(event)) continue;
      this.counts.matched += 1;
      for (const target of rule.targets) {
        const copies = this.#random() < this.#options.duplicateDeliveryRate ? 2 : 1;
        if (copies === 2) this.counts.duplicated += 1;
        for (let copy = 0; copy < copies; copy += 1) this.#track(this.#deliver(rule, target, event, trace));
      }
    }
    return { EventId: event.id };
  }

  #track(delivery: Promise<void>): void {
    this.#pending.add(delivery);
    void delivery.finally(() => this.#pending.delete(delivery));
  }

  /** Delivers to one target, retrying what EventBridge retries, then its dead-letter queue. */
  async #deliver(
    rule: LocalRule,
    target: LocalRuleTarget,
    event: BusEvent,
    traceHeader: string | undefined,
  ): Promise<void> {
    const body = targetMessage(target, event as unknown as Record<string, unknown>, rule);
    const limit = Math.min(target.retryAttempts ?? 185, this.#options.maxRetryAttempts);
    for (let attempt = 0; ; attempt += 1) {
      const sent = await this.#send(target.queue, body, traceHeader);
      if ('messageId' in sent) {
        this.counts.delivered += 1;
        for (const listener of this.#deliveryListeners)
          listener({
            rule: rule.name,
            queueUrl: target.queue.url,
            messageId: sent.messageId,
            body,
            ...(traceHeader && { traceHeader }),
          });
        return;
      }
      const error = sent;
      const retryable = !NOT_RETRIED.test(error.code);
      if (!retryable || attempt >= limit) {
        await this.#deadLetter(rule, target, event, error, retryable ? attempt : 0);
        return;
      }
      this.counts.retried += 1;
      await sleep(this.#options.retryDelayMs * 2 ** attempt);
    }
  }

  async #send(
    queue: LocalQueueTarget,
    body: string,
    traceHeader?: string,
  ): Promise<{ messageId: string } | { code: string; message: string }> {
    if (!queue.allowed)
      return { code: 'NO_PERMISSIONS', message: `the queue policy of ${queue.arn} does not allow this rule` };
    try {
      const { MessageId = '' } = await this.#sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: body,
          ...(traceHeader && {
            MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: traceHeader } },
          }),
        }),
      );
      return { messageId: MessageId };
    } catch (error) {
      const { name, message } = error as Error;
      return { code: name, message };
    }
  }

  /** What could not be delivered goes to the target's DLQ with EventBridge's attributes, or is lost. */
  async #deadLetter(
    rule: LocalRule,
    target: LocalRuleTarget,
    event: BusEvent,
    error: { code: string; message: string },
    retries: number,
  ): Promise<void> {
    const dlq = target.deadLetter;
    if (dlq?.allowed) {
      const attributes: Record<string, MessageAttributeValue> = {
        RULE_ARN: text(rule.arn),
        TARGET_ARN: text(target.queue.arn),
        ERROR_CODE: text(
          /QueueDoesNotExist|NonExistentQueue/.test(error.code) ? 'RESOURCE_NOT_FOUND' : error.code,
        ),
        ERROR_MESSAGE: text(error.message.slice(0, 1_000) || error.code),
        RETRY_ATTEMPTS: { DataType: 'Number', StringValue: String(retries) },
        ...(retries > 0 && { EXHAUSTED_RETRY_CONDITION: text('MaximumRetryAttempts') }),
      };
      const failed = await this.#sqs
        .send(
          new SendMessageCommand({
            QueueUrl: dlq.url,
            MessageBody: JSON.stringify(event),
            MessageAttributes: attributes,
          }),
        )
        .then(() => false)
        .catch(() => true);
      if (!failed) {
        this.counts.deadLettered += 1;
        return;
      }
    }
    this.counts.lost += 1;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      if (target !== 'AWSEvents.PutEvents')
        throw apiError('UnknownOperationException', `${target || 'this operation'} is not served here`);
      const { Entries } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        Entries?: PutEventsEntry[];
      };
      if (!Array.isArray(Entries) || Entries.length < 1 || Entries.length > 10)
        throw apiError('ValidationException', 'Entries must hold 1 to 10 entries');
      const failing = this.#failNextPuts > 0;
      if (failing) this.#failNextPuts -= 1;
      const results: PutEventsResultEntry[] = failing
        ? Entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'injected failure' }))
        : this.putEvents(Entries, { traceHeader: headerText(req.headers['x-amzn-trace-id']) });
      const FailedEntryCount = results.filter((r) => 'ErrorCode' in r).length;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      res.end(JSON.stringify({ FailedEntryCount, Entries: results }));
    } catch (error) {
      const type = (error as { type?: string }).type ?? 'InternalException';
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': type });
      res.end(JSON.stringify({ __type: type, message: (error as Error).message }));
    }
  }
}
