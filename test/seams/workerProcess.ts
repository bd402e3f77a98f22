import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { HostReply, HostRequest } from './workerHost.js';

const HOST = fileURLToPath(new URL('./workerHost.ts', import.meta.url));

/** How an invocation ended: answered (a response, or the handler threw), or its process died under it. */
export type InvocationResult =
  | { readonly kind: 'answered'; readonly response: SQSBatchResponse | undefined; readonly error?: string }
  | { readonly kind: 'died' };

/**
 * A worker's execution environment: the real handler in a process of its own (`workerHost.ts`), one
 * invocation at a time, its module state kept between invocations (a warm Lambda), killed with SIGKILL to
 * crash it.
 */
export class WorkerProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (result: InvocationResult) => void>();
  readonly #replies: ((reply: HostReply) => void)[] = [];
  readonly loaded: Promise<void>;
  readonly exited: Promise<void>;
  #alive = true;
  #nextId = 1;

  private constructor() {
    this.#child = fork(HOST, [], {
      execArgv: ['--import', 'tsx'],
      stdio: process.env.PROPERTY_DEBUG ? 'inherit' : ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.#child.on('message', (reply: HostReply) => {
      if (reply.type === 'result') {
        const resolve = this.#waiting.get(reply.id);
        this.#waiting.delete(reply.id);
        resolve?.({
          kind: 'answered',
          response: reply.response as SQSBatchResponse | undefined,
          ...(reply.error !== undefined && { error: reply.error }),
        });
        return;
      }
      for (const listener of this.#replies.splice(0)) listener(reply);
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', () => {
        this.#alive = false;
        for (const resolveWaiting of this.#waiting.values()) resolveWaiting({ kind: 'died' });
        this.#waiting.clear();
        resolve();
      });
    });
    this.loaded = this.#next('loaded');
    // Awaited by `activate`; a spare that dies unused must not raise an unhandled rejection.
    this.loaded.catch(() => undefined);
  }

  static spawn(): WorkerProcess {
    return new WorkerProcess();
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Gives the environment its world and imports the worker (the cold start's init). */
  async activate(env: Record<string, string>): Promise<void> {
    await this.loaded;
    const ready = this.#next('ready');
    this.#send({ type: 'activate', env });
    await ready;
  }

  /** Runs one event; resolves `died` if the process is killed first. */
  invoke(event: SQSEvent, remainingMs: number): Promise<InvocationResult> {
    if (!this.#alive) return Promise.resolve({ kind: 'died' });
    const id = this.#nextId++;
    const result = new Promise<InvocationResult>((resolve) => this.#waiting.set(id, resolve));
    this.#send({ type: 'invoke', id, event, remainingMs });
    return result;
  }

  /** SIGKILL, as Lambda ends an environment that crashed or timed out; resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.#alive) this.#child.kill('SIGKILL');
    await this.exited;
  }

  #send(message: HostRequest): void {
    this.#child.send(message);
  }

  #next(type: 'loaded' | 'ready'): Promise<void> {
    return new Promise((resolve, reject) => {
      const listen = (reply: HostReply) => {
        if (reply.type === type) resolve();
        else if (reply.type === 'failed') reject(new Error(`worker process: ${reply.error}`));
        else this.#replies.push(listen);
      };
      this.#replies.push(listen);
      void this.exited.then(() => reject(new Error(`worker process exited before '${type}'`)));
    });
  }
}

/**
 * Spare worker processes with their dependencies loaded, so a crashed worker is replaced in a fraction of a
 * cold start: `take` activates one with the given environment and starts the next spare.
 */
export class WorkerPool {
  readonly #spares: WorkerProcess[] = [];
  readonly #taken = new Set<WorkerProcess>();

  constructor(private readonly spares = 2) {
    this.#fill();
  }

  async take(env: Record<string, string>): Promise<WorkerProcess> {
    const worker = this.#spares.shift() ?? WorkerProcess.spawn();
    this.#fill();
    this.#taken.add(worker);
    void worker.exited.then(() => this.#taken.delete(worker));
    await worker.activate(env);
    return worker;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#spares.splice(0), ...this.#taken].map((worker) => worker.kill()));
  }

  #fill(): void {
    while (this.#spares.length < this.spares) {
      const spare = WorkerProcess.spawn();
      // A spare that failed to load is dropped (take() then spawns one afresh).
      spare.loaded.catch(() => {
        const at = this.#spares.indexOf(spare);
        if (at >= 0) this.#spares.splice(at, 1);
      });
      this.#spares.push(spare);
    }
  }
}
