/**
 * The supervisor runs long-lived tasks (the collectors), each under a child AbortController of
 * the parent signal. A task that throws, or returns while the parent is still live, is
 * restarted after a jittered exponential backoff that resets once the task has run healthy for
 * `healthyResetMs`. Every crash is logged (`task_crashed`); a task that crashes
 * `crashLoopThreshold` times within `crashLoopWindowMs` shows as `crash_loop` in `health()`
 * (and keeps being restarted) until it recovers: health describes the present, so a task that
 * is running again and has reported a `lastSuccessAt` since its start, or has stayed up for
 * `recoveredAfterMs`, is `running` even with crashes still inside the window. Other tasks are unaffected. When the parent aborts, every child
 * is aborted and `done` resolves once all tasks have settled.
 *
 * @example
 * ```ts
 * import { runSupervisor } from "./supervisor.ts";
 * const supervisor = runSupervisor([
 *   { name: "prices", run: (signal, ctx) => runPricesCollector({ ...deps, ctx }, signal) },
 * ], { signal: root.signal, log });
 * supervisor.health(); // [{ name: "prices", state: "running", restarts: 0, ... }]
 * await supervisor.done;
 * ```
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "./log.ts";
import { createMetrics, type Metrics } from "./_metrics.ts";

/**
 * What a task may report about itself; `unhealthy` (a reason) fails `/healthz`, `degraded` (a
 * reason) shows there without failing it.
 */
export type TaskReport = Readonly<Record<string, unknown>> & {
  readonly unhealthy?: string | null;
  readonly degraded?: string | null;
};

/** Handed to each run of a task: its signal plus ways to report health and metrics. */
export interface TaskContext {
  readonly signal: AbortSignal;
  /** Merges `fields` into the task's report (e.g. rowsWritten, lastSuccessAt, lagMs). */
  report(fields: TaskReport): void;
  /** Adds to counter `pmcollect_<name>{task}`; by convention the name ends in `_total`. */
  counter(name: string, delta?: number): void;
  /** Sets gauge `pmcollect_<name>{task}`. */
  gauge(name: string, value: number): void;
  /** Observes a value (seconds for durations) in histogram `pmcollect_<name>{task}`. */
  observe(name: string, value: number): void;
}

export interface TaskSpec {
  readonly name: string;
  run(signal: AbortSignal, context: TaskContext): Promise<void>;
}

export type TaskState = "starting" | "running" | "backoff" | "crash_loop" | "stopped";

export interface TaskHealth {
  readonly name: string;
  readonly state: TaskState;
  /** Restarts since the supervisor started. */
  readonly restarts: number;
  readonly crashesInWindow: number;
  readonly lastError: string | null;
  /** Epoch ms of the latest start / crash / planned restart. */
  readonly lastStartAt: number | null;
  readonly lastCrashAt: number | null;
  readonly nextStartAt: number | null;
  /** The latest fields the task passed to `report()`. */
  readonly report: TaskReport;
}

export interface SupervisorOptions {
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly now?: () => number;
  /** In [0, 1); the backoff is scaled by 0.8 + 0.4 × random(). */
  readonly random?: () => number;
  /** Resolves after `ms`, rejects when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uptime after which the backoff starts again from `initialBackoffMs` (default 5 min). */
  readonly healthyResetMs?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly crashLoopThreshold?: number;
  readonly crashLoopWindowMs?: number;
  /** Uptime after which a restarted task no longer shows as `crash_loop` (default 60 s). */
  readonly recoveredAfterMs?: number;
  /** Registry for task metrics; a fresh one by default. */
  readonly metrics?: Metrics;
}

export interface Supervisor {
  /** Resolves when the parent signal has aborted and every task has settled. */
  readonly done: Promise<void>;
  readonly metrics: Metrics;
  /** A snapshot of every task's state, in registration order. */
  health(): TaskHealth[];
}

interface Slot {
  state: "starting" | "running" | "backoff" | "stopped";
  restarts: number;
  crashes: number[];
  lastError: string | null;
  lastStartAt: number | null;
  lastCrashAt: number | null;
  nextStartAt: number | null;
  report: TaskReport;
}

/** Starts every task now and keeps it running until `options.signal` aborts. */
export function runSupervisor(tasks: readonly TaskSpec[], options: SupervisorOptions): Supervisor {
  const now = options.now ?? Date.now;
  const threshold = options.crashLoopThreshold ?? 5;
  const windowMs = options.crashLoopWindowMs ?? 10 * 60_000;
  const metrics = options.metrics ?? createMetrics();
  const slots = new Map<string, Slot>();
  for (const task of tasks) {
    if (slots.has(task.name)) throw new TypeError(`Duplicate task name: ${task.name}`);
    slots.set(task.name, {
      state: "starting",
      restarts: 0,
      crashes: [],
      lastError: null,
      lastStartAt: null,
      lastCrashAt: null,
      nextStartAt: null,
      report: {},
    });
  }
  const aborted = new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  const done = Promise.all([
    aborted,
    ...tasks.map((task) => superviseTask(task, slots.get(task.name)!, metrics, options)),
  ]).then(() => {});
  return {
    done,
    metrics,
    health: () =>
      tasks.map((task) => {
        const slot = slots.get(task.name)!;
        const crashesInWindow = slot.crashes.filter((t) => now() - t < windowMs).length;
        const looping = slot.state !== "stopped" && crashesInWindow >= threshold &&
          !hasRecovered(slot, now(), options.recoveredAfterMs ?? 60_000);
        return {
          name: task.name,
          state: looping ? "crash_loop" : slot.state,
          restarts: slot.restarts,
          crashesInWindow,
          lastError: slot.lastError,
          lastStartAt: slot.lastStartAt,
          lastCrashAt: slot.lastCrashAt,
          nextStartAt: slot.nextStartAt,
          report: slot.report,
        };
      }),
  };
}

/** Running again, and either succeeded since this start or stayed up `recoveredAfterMs`. */
function hasRecovered(slot: Slot, nowMs: number, recoveredAfterMs: number): boolean {
  if (slot.state !== "running" || slot.lastStartAt === null) return false;
  if (nowMs - slot.lastStartAt >= recoveredAfterMs) return true;
  const success = slot.report.lastSuccessAt;
  const successMs = typeof success === "string" ? Date.parse(success) : NaN;
  return successMs >= slot.lastStartAt;
}

async function superviseTask(
  task: TaskSpec,
  slot: Slot,
  metrics: Metrics,
  options: SupervisorOptions,
): Promise<void> {
  const { signal: parent } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const initial = options.initialBackoffMs ?? 1_000;
  const max = options.maxBackoffMs ?? 60_000;
  const healthyResetMs = options.healthyResetMs ?? 5 * 60_000;
  const windowMs = options.crashLoopWindowMs ?? 10 * 60_000;
  const log = options.log.child({ task: task.name });
  const labels = { task: task.name };
  let streak = 0;
  while (!parent.aborted) {
    const child = new AbortController();
    const onAbort = () => child.abort(parent.reason);
    parent.addEventListener("abort", onAbort, { once: true });
    const context: TaskContext = {
      signal: child.signal,
      report: (fields) => void (slot.report = { ...slot.report, ...fields }),
      counter: (name, d = 1) => metrics.counter(`pmcollect_${name}`, labels, d),
      gauge: (name, value) => metrics.gauge(`pmcollect_${name}`, labels, value),
      observe: (name, value) => metrics.observe(`pmcollect_${name}`, labels, value),
    };
    const startedAt = now();
    slot.state = "running";
    slot.lastStartAt = startedAt;
    slot.nextStartAt = null;
    log.info("task_started", { restarts: slot.restarts });
    let error: unknown;
    try {
      await task.run(child.signal, context);
      error = new Error(`Task ${task.name} returned while it should keep running`);
    } catch (err) {
      error = err;
    } finally {
      parent.removeEventListener("abort", onAbort);
      child.abort(new Error("task settled"));
    }
    if (parent.aborted) break;
    const crashedAt = now();
    if (crashedAt - startedAt >= healthyResetMs) streak = 0;
    const retryInMs = Math.round(Math.min(max, initial * 2 ** streak) * (0.8 + 0.4 * random()));
    streak += 1;
    slot.state = "backoff";
    slot.restarts += 1;
    slot.lastError = error instanceof Error ? error.message : String(error);
    slot.lastCrashAt = crashedAt;
    slot.nextStartAt = crashedAt + retryInMs;
    slot.crashes = [...slot.crashes.filter((t) => crashedAt - t < windowMs), crashedAt];
    metrics.counter("pmcollect_task_restarts_total", labels);
    log.error("task_crashed", { error, restarts: slot.restarts, retryInMs });
    try {
      await sleep(retryInMs, parent);
    } catch (err) {
      if (!parent.aborted) throw err;
    }
  }
  slot.state = "stopped";
  slot.nextStartAt = null;
  log.info("task_stopped", { restarts: slot.restarts });
}
