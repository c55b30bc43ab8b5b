/**
 * Runs the scanner's evaluation passes off the websocket listener's path. The listener calls
 * `notify()` after `Scanner.ingest` (cheap); the first notify schedules a pass on a macrotask
 * (`setTimeout 0`), so every change that arrives before it runs is coalesced into it. A pass
 * stops once its time budget is spent and the rest runs on the next macrotask, so socket reads,
 * PINGs and the episode writer's I/O get the event loop in between.
 *
 * @example
 * ```ts ignore
 * import { PassScheduler } from "./_pass_scheduler.ts";
 * const passes = new PassScheduler(scanner, { budgetMs: 20 });
 * scanner.ingest(event);
 * passes.notify();
 * passes.stop(); // on shutdown
 * ```
 */
import type { Scanner } from "./scanner.ts";

/** Default time a pass may run before it yields back to the event loop. */
export const PASS_BUDGET_MS = 20;

export class PassScheduler {
  readonly #scanner: Scanner;
  readonly #budgetMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  /** Slices run (a pass cut by its budget takes several). */
  slices = 0;
  /** Longest slice, ms. */
  longestSliceMs = 0;

  readonly #onSlice: ((ms: number) => void) | undefined;

  constructor(
    scanner: Scanner,
    options: { readonly budgetMs?: number; readonly onSlice?: (ms: number) => void } = {},
  ) {
    this.#scanner = scanner;
    this.#budgetMs = options.budgetMs ?? PASS_BUDGET_MS;
    this.#onSlice = options.onSlice;
  }

  /** Something was ingested: make sure a pass is coming. */
  notify(): void {
    if (this.#timer !== null || this.#stopped) return;
    this.#timer = setTimeout(() => this.#run(), 0);
  }

  /** Cancels the coming pass (dirty relations stay dirty). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #run(): void {
    this.#timer = null;
    const start = performance.now();
    const left = this.#scanner.evaluatePending(start + this.#budgetMs);
    const ms = performance.now() - start;
    this.slices++;
    this.longestSliceMs = Math.max(this.longestSliceMs, ms);
    this.#onSlice?.(ms);
    if (left > 0) this.notify();
  }
}
