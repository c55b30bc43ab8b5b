/**
 * Event-loop lag: how late a timer fires. Everything on the loop shares it, websocket PINGs
 * included (the venue drops a socket idle for 10 s), so a write or a parse that holds the loop
 * for seconds costs connections. `runLoopLagSampler` arms a `intervalMs` timer and records
 * how much later than due each tick ran (`node:perf_hooks`' monitorEventLoopDelay reports
 * nothing on Deno); `LoopLag` keeps the worst since start and per window (the health line).
 *
 * @example
 * ```ts
 * import { LoopLag, runLoopLagSampler } from "./loop_lag.ts";
 * const lag = new LoopLag();
 * const controller = new AbortController();
 * const sampling = runLoopLagSampler(lag, { signal: controller.signal });
 * controller.abort();
 * await sampling;
 * lag.worstMs; // the worst lag seen, in milliseconds
 * ```
 */
import type { Logger } from "./log.ts";
import type { Metrics } from "./_metrics.ts";

/** Default sampling interval: fine enough to see a 100 ms stall, cheap enough to ignore. */
export const LOOP_LAG_INTERVAL_MS = 100;
/** A single stall this long is logged (`event_loop_stalled`): a fifth of the PING margin. */
export const LOOP_STALL_LOG_MS = 1000;

/** Worst lag since start and within the current window. */
export class LoopLag {
  /** Worst lag since start, in milliseconds. */
  worstMs = 0;
  /** Samples recorded since start. */
  samples = 0;
  #windowMs = 0;

  /** Records one sample (negative values, a timer firing early, count as 0). */
  record(lagMs: number): void {
    const lag = Math.max(0, lagMs);
    this.samples++;
    if (lag > this.worstMs) this.worstMs = lag;
    if (lag > this.#windowMs) this.#windowMs = lag;
  }

  /** Worst lag since the previous call (or start); begins a new window. */
  takeWindow(): number {
    const worst = this.#windowMs;
    this.#windowMs = 0;
    return worst;
  }
}

/**
 * Samples until `signal` aborts. With `metrics`, keeps `pmcollect_event_loop_lag_seconds`
 * (histogram of samples) and `pmcollect_event_loop_lag_max_seconds` (worst since start); with
 * `log`, writes one `event_loop_stalled` warning per stall of LOOP_STALL_LOG_MS or more (at
 * most one a second by construction).
 */
export function runLoopLagSampler(
  lag: LoopLag,
  options: { signal: AbortSignal; intervalMs?: number; metrics?: Metrics; log?: Logger },
): Promise<void> {
  const { signal, metrics, log } = options;
  const interval = options.intervalMs ?? LOOP_LAG_INTERVAL_MS;
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      const ms = now - last - interval;
      last = now;
      lag.record(ms);
      if (ms >= LOOP_STALL_LOG_MS) log?.warn("event_loop_stalled", { lagMs: Math.round(ms) });
      metrics?.observe("pmcollect_event_loop_lag_seconds", {}, Math.max(0, ms) / 1000);
      metrics?.gauge("pmcollect_event_loop_lag_max_seconds", {}, lag.worstMs / 1000);
    }, interval);
    signal.addEventListener("abort", () => {
      clearInterval(timer);
      resolve();
    }, { once: true });
  });
}
