/**
 * The shed level: what the disk guard asks the collectors to stop writing when the disk runs
 * low, lowest-value data first. One small object, created by the run command, written by the
 * disk guard and read by the trades collector (quotes) and the books collector (cadence).
 *
 * Levels: `ok`; `warn` (nothing shed, /healthz degraded); `shed_quotes` (no quote rows);
 * `shed_books` (no quote rows and only every BOOKS_SHED_FACTOR-th book snapshot slot).
 *
 * @example
 * ```ts
 * import { createShedState } from "./shed.ts";
 * const shed = createShedState();
 * shed.set("shed_quotes");
 * shed.quotesEnabled(); // false
 * shed.keepBookSlot(new Date(), 300_000); // true (books are shed only at "shed_books")
 * ```
 */

export type DiskLevel = "ok" | "warn" | "shed_quotes" | "shed_books";

/** Ordered from healthy to most shed; the index is the `pmcollect_disk_level` gauge. */
export const DISK_LEVELS: readonly DiskLevel[] = ["ok", "warn", "shed_quotes", "shed_books"];

/** At `shed_books`, one book snapshot slot in this many is kept (cadence × 4). */
export const BOOKS_SHED_FACTOR = 4;

export interface ShedState {
  readonly level: DiskLevel;
  set(level: DiskLevel): void;
  /** False while quotes are shed. */
  quotesEnabled(): boolean;
  /** Whether the books snapshot of `slot` (a multiple of `intervalMs`) is taken. */
  keepBookSlot(slot: Date, intervalMs: number): boolean;
}

export function createShedState(initial: DiskLevel = "ok"): ShedState {
  let level = initial;
  return {
    get level() {
      return level;
    },
    set(next) {
      level = next;
    },
    quotesEnabled: () => level !== "shed_quotes" && level !== "shed_books",
    keepBookSlot: (slot, intervalMs) =>
      level !== "shed_books" || Math.floor(slot.getTime() / intervalMs) % BOOKS_SHED_FACTOR === 0,
  };
}
