/**
 * When is a UTC day over, as far as the export is concerned? At its end plus a settling margin
 * (`DAY_SETTLE_MS`, 10 minutes) for the rows stamped just before midnight that the collectors
 * are still writing (batched flushes, a retried request). Before that instant the day is in
 * progress: the export does not write it (a partial day in the same layout would read as
 * complete to every engine), and a manifest taken before it is not trusted by retention.
 * Rows that arrive later still (a backfill) are caught by the checksum and the day is exported
 * again (docs/export.md, "Days in progress").
 *
 * @example
 * ```ts
 * import { dayCompleteAt, isDayComplete } from "./day_complete.ts";
 * dayCompleteAt("2026-11-30").toISOString(); // "2026-12-01T00:10:00.000Z"
 * isDayComplete("2026-11-30", new Date("2026-12-01T00:05:00Z")); // false
 * ```
 */

/** How long after a day's end its rows are taken to be all written. */
export const DAY_SETTLE_MS = 10 * 60_000;

/** The instant from which `day` ("YYYY-MM-DD", UTC) counts as complete. */
export function dayCompleteAt(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000 + DAY_SETTLE_MS);
}

/** Is `day` over (end + settling margin) at `at`? */
export function isDayComplete(day: string, at: Date): boolean {
  return at.getTime() >= dayCompleteAt(day).getTime();
}

/** An export of a day that is still in progress was asked for; nothing was written. */
export class DayInProgressError extends Error {
  readonly table: string;
  readonly day: string;
  readonly completeAt: Date;
  constructor(table: string, day: string, options?: ErrorOptions) {
    const completeAt = dayCompleteAt(day);
    super(
      `Cannot export ${table} ${day}: the day is still in progress ` +
        `(complete from ${completeAt.toISOString()})`,
      options,
    );
    this.name = "DayInProgressError";
    this.table = table;
    this.day = day;
    this.completeAt = completeAt;
  }
}
