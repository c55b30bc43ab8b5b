/**
 * The cycle clock of the REST collectors: cycles start on interval boundaries of the injected
 * clock (the minute, for prices), never overlap (a boundary that arrives while the previous
 * cycle still runs is reported through `onOverlap` and skipped, not queued), and a cycle still
 * running `deadlineMs` after its slot began is aborted with a `CycleDeadlineError`.
 *
 * @example
 * ```ts ignore
 * import { runOnSchedule } from "./_schedule.ts";
 * await runOnSchedule({
 *   task: "prices", intervalMs: 60_000, now: Date.now, log,
 *   cycle: (slot, signal) => collectMinute(slot, signal),
 *   onOverlap: (slot) => recordOverlapGap(slot),
 * }, signal);
 * ```
 */
import { setTimeout as timeout } from "node:timers/promises";
import type { Logger } from "../runtime/log.ts";
import { CycleDeadlineError } from "./_cycle.ts";

/** Options of {@link runOnSchedule}. */
export interface ScheduleOptions {
  task: string;
  intervalMs: number;
  now: () => number;
  log: Logger;
  /** Start the first cycle at once (slot = now) instead of at the next boundary. */
  immediate?: boolean;
  /** A cycle running this long after its slot began is aborted (default 2 × interval). */
  deadlineMs?: number;
  /** One cycle for `slot`; it should only throw when its signal aborts. */
  cycle(slot: Date, signal: AbortSignal): Promise<unknown>;
  /** A slot skipped because the previous cycle was still running. */
  onOverlap?(slot: Date): Promise<void>;
}

/** The first boundary strictly after `nowMs` (epoch-aligned multiples of `intervalMs`). */
export function nextBoundary(nowMs: number, intervalMs: number): number {
  return (Math.floor(nowMs / intervalMs) + 1) * intervalMs;
}

/** Sleeps until the clock reads `atMs`; rejects with `signal.reason` on abort. */
export async function sleepUntil(now: () => number, atMs: number, signal: AbortSignal) {
  signal.throwIfAborted();
  const ms = atMs - now();
  if (ms <= 0) return;
  try {
    await timeout(ms, undefined, { signal });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw err;
  }
}

interface Running {
  slot: number;
  controller: AbortController;
  done: Promise<void>;
}

/** Runs cycles on the schedule until `signal` aborts; rethrows `signal.reason`. */
export async function runOnSchedule(options: ScheduleOptions, signal: AbortSignal): Promise<never> {
  const { intervalMs, now, log, task } = options;
  const deadlineMs = options.deadlineMs ?? 2 * intervalMs;
  let running: Running | null = null;
  let crash: { error: unknown } | null = null;

  const start = (slot: number) => {
    const controller = new AbortController();
    const cycleSignal = AbortSignal.any([signal, controller.signal]);
    const entry: Running = { slot, controller, done: Promise.resolve() };
    entry.done = options.cycle(new Date(slot), cycleSignal).then(
      () => {},
      (error: unknown) => {
        if (!cycleSignal.aborted) crash = { error };
      },
    ).finally(() => {
      if (running === entry) running = null;
    });
    running = entry;
  };

  try {
    let slot = options.immediate === true ? now() : nextBoundary(now(), intervalMs);
    for (;;) {
      await sleepUntil(now, slot, signal);
      if (crash !== null) throw (crash as { error: unknown }).error;
      const current = running as Running | null;
      if (current !== null && slot - current.slot >= deadlineMs) {
        current.controller.abort(
          new CycleDeadlineError(
            `${task} cycle of ${new Date(current.slot).toISOString()} ran out of time`,
          ),
        );
        await current.done;
      }
      if (running !== null) {
        log.warn("cycle_overlap", { task, slot: new Date(slot).toISOString() });
        await options.onOverlap?.(new Date(slot));
      } else {
        start(slot);
      }
      slot = nextBoundary(Math.max(now(), slot), intervalMs);
    }
  } finally {
    const last = running as Running | null;
    if (last !== null) {
      last.controller.abort(signal.aborted ? signal.reason : new Error(`${task} schedule stopped`));
      await last.done;
    }
  }
}
