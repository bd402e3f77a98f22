import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { ExecutionEnvironment, type InvocationResult } from './ExecutionEnvironment.js';
import type { ScheduleModel } from './stackModel.js';

/** One scheduled invocation and how it ended. */
export interface ScheduledRun {
  /** The scheduled rule's logical id. */
  readonly rule: string;
  /** The function it invoked (logical id). */
  readonly functionId: string;
  readonly result: InvocationResult;
  readonly startedAt: number;
  readonly durationMs: number;
}

/** How the stack's schedules run locally. */
export interface ScheduleRunnerOptions {
  /**
   * How often each schedule fires: the template's rate, or this (ms) in its place, or `false` for never on
   * its own (tests and the demo call `runNow`).
   * @default - the template's rate
   */
  readonly intervalMs?: number | false;
  /** Each run, once it ended. */
  readonly onRun?: (run: ScheduledRun) => void;
  /** Each line a scheduled function logs. */
  readonly onLogLine?: (line: string) => void;
}

/**
 * The stack's scheduled rules (`rate(…)`) on a timer, each target a function of the stack in its own
 * emulated execution environment with the template's environment (references resolved by the caller), and
 * its rule's input as the event, as EventBridge invokes a Lambda target. A run still going when its
 * schedule fires again is not doubled (the construct keeps a run no longer than its schedule).
 */
export class ScheduleRunner {
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #environments = new Map<string, ExecutionEnvironment>();
  readonly #running = new Map<string, Promise<ScheduledRun>>();
  /** Every run so far, in the order they ended. */
  readonly runs: ScheduledRun[] = [];

  constructor(
    private readonly schedules: readonly ScheduleModel[],
    environmentOf: (functionEnvironment: Readonly<Record<string, unknown>>) => Record<string, string>,
    private readonly options: ScheduleRunnerOptions = {},
  ) {
    for (const schedule of schedules) {
      for (const { function: fn } of schedule.targets) {
        if (this.#environments.has(fn.logicalId)) continue;
        this.#environments.set(
          fn.logicalId,
          new ExecutionEnvironment({
            modulePath: join(fn.assetDirectory, fn.moduleFile),
            handlerName: fn.handlerName,
            functionName: fn.logicalId,
            timeoutMs: fn.timeoutSeconds * 1000,
            environment: environmentOf(fn.environment),
            onLogLine: options.onLogLine,
          }),
        );
      }
    }
  }

  /** Starts each enabled schedule's timer. */
  start(): void {
    if (this.options.intervalMs === false) return;
    for (const schedule of this.schedules.filter((s) => s.enabled)) {
      const every = this.options.intervalMs ?? schedule.rateSeconds * 1000;
      const timer = setInterval(() => void this.#fire(schedule).catch(() => undefined), every);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  /**
   * Fires every enabled schedule now (or only `ruleLogicalId`'s) and resolves with their runs, once ended.
   *
   * @example
   * const [run] = await local.schedules.runNow();
   */
  async runNow(ruleLogicalId?: string): Promise<ScheduledRun[]> {
    const chosen = this.schedules.filter(
      (s) => s.enabled && (ruleLogicalId === undefined || s.logicalId === ruleLogicalId),
    );
    return (await Promise.all(chosen.map((schedule) => this.#fire(schedule)))).flat();
  }

  #fire(schedule: ScheduleModel): Promise<ScheduledRun[]> {
    return Promise.all(
      schedule.targets.map(({ function: fn, input }) => {
        const key = `${schedule.logicalId}/${fn.logicalId}`;
        const running = this.#running.get(key);
        if (running) return running;
        const environment = this.#environments.get(fn.logicalId) as ExecutionEnvironment;
        const startedAt = Date.now();
        const run = environment.invoke(input as SQSEvent).then((result) => {
          const ended: ScheduledRun = {
            rule: schedule.logicalId,
            functionId: fn.logicalId,
            result,
            startedAt,
            durationMs: Date.now() - startedAt,
          };
          this.#running.delete(key);
          this.runs.push(ended);
          this.options.onRun?.(ended);
          return ended;
        });
        this.#running.set(key, run);
        return run;
      }),
    );
  }

  /** Stops the timers and ends the execution environments (a run in flight ends with them). */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.all([...this.#environments.values()].map((environment) => environment.kill()));
  }
}
