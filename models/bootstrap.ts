/**
 * Skill against the market with its uncertainty (issue 28, shared/models.md §2): the Brier
 * difference Brier(model) − Brier(market) on the same rows, negative when the model is better,
 * with a percentile bootstrap interval that resamples EVENTS, not rows. Members of one neg-risk
 * event and one event's horizons share an outcome: resampling rows would treat them as
 * independent and make the interval too narrow.
 *
 * Each resample draws as many events as there are, with replacement, and takes the difference
 * over all rows of the drawn events (an event drawn twice counts twice). The interval is the
 * (1 − level)/2 and (1 + level)/2 quantiles of the resampled differences (simple-statistics'
 * `quantileSorted`). Seeded: equal inputs and seed give the equal interval.
 *
 * @example
 * ```ts
 * import { brierDifferenceInterval } from "./bootstrap.ts";
 * const d = brierDifferenceInterval([
 *   { eventId: "a", model: 0.9, market: 0.7, label: 1 },
 *   { eventId: "b", model: 0.2, market: 0.4, label: 0 },
 * ], { seed: 1 });
 * d.difference; // (0.01 + 0.04 - 0.09 - 0.16) / 2 = -0.1
 * ```
 */
import { quantileSorted } from "simple-statistics";
import { seededUniform } from "./_random.ts";

/** One scored row: the model's and the market's forecast of one outcome. */
export interface PairedForecast {
  readonly eventId: string;
  readonly model: number;
  readonly market: number;
  readonly label: 0 | 1;
}

export interface BrierDifference {
  /** Brier(model) − Brier(market) over all rows: negative favours the model. */
  readonly difference: number;
  readonly low: number;
  readonly high: number;
  readonly level: number;
  readonly rows: number;
  readonly events: number;
  readonly resamples: number;
}

export interface BootstrapOptions {
  /** Resamples (default 2,000). */
  readonly resamples?: number;
  /** Seed of the resampling (default 1). */
  readonly seed?: number;
  /** Interval level (default 0.95). */
  readonly level?: number;
}

/** The Brier difference with its event-resampled bootstrap interval. */
export function brierDifferenceInterval(
  rows: readonly PairedForecast[],
  options: BootstrapOptions = {},
): BrierDifference {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  if (rows.length === 0) throw new RangeError("Cannot bootstrap an empty set of rows");
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`Resamples must be a positive integer: ${resamples}`);
  }
  if (!(level > 0 && level < 1)) throw new RangeError(`Level must be in (0, 1): ${level}`);
  // Per event: the summed squared-error difference and its row count.
  const byEvent = new Map<string, { diff: number; n: number }>();
  let total = 0;
  for (const row of rows) {
    const d = (row.model - row.label) ** 2 - (row.market - row.label) ** 2;
    if (!Number.isFinite(d)) throw new RangeError(`Row of event ${row.eventId} is not finite`);
    total += d;
    const entry = byEvent.get(row.eventId);
    if (entry === undefined) byEvent.set(row.eventId, { diff: d, n: 1 });
    else {
      entry.diff += d;
      entry.n++;
    }
  }
  const events = [...byEvent.values()];
  const diffs = Float64Array.from(events, (e) => e.diff);
  const counts = Float64Array.from(events, (e) => e.n);
  const next = seededUniform(options.seed ?? 1);
  const draws: number[] = new Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < events.length; i++) {
      const e = Math.floor(next() * events.length);
      sum += diffs[e];
      n += counts[e];
    }
    draws[r] = sum / n;
  }
  draws.sort((a, b) => a - b);
  return {
    difference: total / rows.length,
    low: quantileSorted(draws, (1 - level) / 2),
    high: quantileSorted(draws, (1 + level) / 2),
    level,
    rows: rows.length,
    events: events.length,
    resamples,
  };
}
