/**
 * Horizon labels ("30m", "1h", "24h", "7d") as milliseconds, for the walk-forward embargo and
 * for ordering horizons in reports.
 *
 * @example
 * ```ts
 * import { horizonMs } from "./_horizon.ts";
 * horizonMs("24h"); // 86_400_000
 * ```
 */
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a horizon label: a positive integer and one of m, h, d, w. */
export function horizonMs(horizon: string): number {
  const match = /^([1-9][0-9]*)([mhdw])$/.exec(horizon);
  if (match === null) throw new RangeError(`Horizon is not like "24h" or "7d": ${horizon}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}
