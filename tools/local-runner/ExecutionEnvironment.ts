import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const THREAD_ENTRY = new URL('./lambdaThread.mjs', import.meta.url);

/** How an invocation ended. */
export type InvocationResult =
  | { readonly kind: 'response'; readonly response: SQSBatchResponse | undefined }
  | { readonly kind: 'error'; readonly error: string }
  | { readonly kind: 'timeout' };

/** What an execution environment runs. */
export interface FunctionSpec {
  readonly modulePath: string;
  readonly handlerName: string;
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly memoryMb?: number;
  /** The function's environment variables, references resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** Each line the function writes to stdout or stderr (its structured logs and metrics). */
  readonly onLogLine?: (line: string) => void;
}

/**
 * One Lambda execution environment: a worker thread with its own module instance (so its own warm state,
 * such as the worker's call pacer), one invocation at a time, killed when an invocation outlives the
 * function's timeout, and started afresh (a cold start) on the next invocation.
 */
export class ExecutionEnvironment {
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #next = 0;
  readonly #pending = new Map<number, (result: InvocationResult) => void>();

  constructor(private readonly spec: FunctionSpec) {}

  /**
   * Invokes the function with `event`, as Lambda would: the context's remaining time counts down from the
   * timeout; past it, the environment is killed mid-flight.
   *
   * @example
   * const result = await environment.invoke({ Records: [...] });
   */
  async invoke(event: SQSEvent): Promise<InvocationResult> {
    let worker: Worker;
    try {
      worker = await this.#start();
    } catch (error) {
      // Killed (or crashed) during its cold start.
      return { kind: 'error', error: `execution environment did not start: ${(error as Error).message}` };
    }
    const id = this.#next++;
    const deadline = Date.now() + this.spec.timeoutMs;
    return new Promise<InvocationResult>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        void this.kill();
        resolve({ kind: 'timeout' });
      }, this.spec.timeoutMs);
      this.#pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      worker.postMessage({ id, event, deadline });
    });
  }

  /** Ends the environment at once, as a crash or a timeout would. */
  async kill(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    this.#endPending();
    await worker?.terminate();
  }

  /** Answers every invocation still waiting: its environment is gone. */
  #endPending(): void {
    for (const [id, settle] of this.#pending) {
      this.#pending.delete(id);
      settle({ kind: 'error', error: 'execution environment ended' });
    }
  }

  #start(): Promise<Worker> {
    if (!this.#ready) {
      const worker = new Worker(THREAD_ENTRY, {
        env: { ...process.env, ...this.spec.environment },
        workerData: {
          modulePath: this.spec.modulePath,
          handlerName: this.spec.handlerName,
          functionName: this.spec.functionName,
          memoryMb: this.spec.memoryMb ?? 256,
        },
        stdout: true,
        stderr: true,
      });
      this.#worker = worker;
      const onLogLine = this.spec.onLogLine;
      // Lambda sends both streams to CloudWatch Logs; locally both go to the log callback.
      for (const stream of [worker.stdout, worker.stderr]) {
        createInterface({ input: stream }).on('line', (line) => onLogLine?.(line));
      }
      this.#ready = new Promise<void>((resolve, reject) => {
        worker.on(
          'message',
          (message: {
            ready?: boolean;
            id?: number;
            ok?: boolean;
            response?: SQSBatchResponse;
            error?: string;
          }) => {
            if (message.ready) return resolve();
            const settle = this.#pending.get(message.id ?? -1);
            this.#pending.delete(message.id ?? -1);
            settle?.(
              message.ok
                ? { kind: 'response', response: message.response }
                : { kind: 'error', error: message.error ?? 'unknown' },
            );
          },
        );
        worker.once('error', (error) => {
          reject(error);
          void this.kill();
        });
        // Terminated or crashed, at any point: nothing may wait on it any more.
        worker.once('exit', () => {
          reject(new Error('execution environment ended'));
          if (this.#worker === worker) {
            this.#worker = undefined;
            this.#ready = undefined;
          }
          this.#endPending();
        });
      });
    }
    const ready = this.#ready;
    const worker = this.#worker as Worker;
    return ready.then(() => worker);
  }
}
