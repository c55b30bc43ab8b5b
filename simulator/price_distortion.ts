/**
 * How the simulated venue's quotes get the hidden probability wrong, per domain (documented in
 * docs/models.md, "Simulator"):
 *
 * - `politics` — underconfident: logit q = a · logit p with a = {@link POLITICS_SLOPE} (prices
 *   pulled toward 50%, most visibly in the middle: p = 0.9 is quoted ≈ 0.79);
 * - `sports` — favourite–longshot bias: q = λ + (1 − 2λ) p with λ = {@link LONGSHOT_FLOOR}
 *   (longshots overpriced, favourites underpriced; p = 0.01 is quoted ≈ 0.06);
 * - `crypto` — the calibrated control: q = p.
 *
 * On top of that a quote is stale: the quote at instant t distorts the hidden probability at
 * t − Δ, where the lag Δ falls with liquidity ({@link lagMinutes}). Because the hidden path is a
 * martingale, p(t − Δ) is itself a calibrated forecast and p(t) − p(t − Δ) is noise orthogonal
 * to it, so the noise shrinks with liquidity without biasing the control domain. (Plain noise
 * added to the quote would not be: E[y | p + ε] is pulled toward the mean, so a control domain
 * with additive noise would look overconfident.) Last, the quote is rounded to the tick grid
 * and kept within [tick, 1 − tick].
 *
 * @example
 * ```ts
 * import { distort, undistort } from "./price_distortion.ts";
 * distort("politics", 0.9); // ≈ 0.79
 * undistort("politics", distort("politics", 0.9)); // ≈ 0.9
 * ```
 */

/** The simulated history's domains (Gamma `category`, lowercase). */
export type HistoryDomain = "politics" | "sports" | "crypto";

/** Every domain, in the order the generator draws them. */
export const HISTORY_DOMAINS: readonly HistoryDomain[] = ["politics", "sports", "crypto"];

/** Logit slope of the underconfident domain (politics). */
export const POLITICS_SLOPE = 0.6;
/** Floor λ of the favourite–longshot-biased domain (sports). */
export const LONGSHOT_FLOOR = 0.05;
/** Quote lag of a market with no liquidity, and the liquidity (USD) that halves it. */
export const MAX_LAG_MINUTES = 60;
export const LAG_HALF_LIQUIDITY = 1_000;

const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The domain's distortion D(p) of a hidden probability (before lag and tick rounding). */
export function distort(domain: HistoryDomain, p: number): number {
  if (domain === "crypto") return p;
  if (domain === "sports") return LONGSHOT_FLOOR + (1 - 2 * LONGSHOT_FLOOR) * p;
  if (p <= 0 || p >= 1) return p;
  return sigmoid(POLITICS_SLOPE * logit(p));
}

/** The inverse D⁻¹(q): the hidden probability a quote stands for (clamped to [0, 1]). */
export function undistort(domain: HistoryDomain, q: number): number {
  if (domain === "crypto") return Math.min(1, Math.max(0, q));
  if (domain === "sports") {
    return Math.min(1, Math.max(0, (q - LONGSHOT_FLOOR) / (1 - 2 * LONGSHOT_FLOOR)));
  }
  if (q <= 0 || q >= 1) return Math.min(1, Math.max(0, q));
  return sigmoid(logit(q) / POLITICS_SLOPE);
}

/** Quote lag Δ in minutes for a market with `liquidity` USD: MAX · H / (H + liquidity). */
export function lagMinutes(liquidity: number): number {
  return MAX_LAG_MINUTES * LAG_HALF_LIQUIDITY / (LAG_HALF_LIQUIDITY + Math.max(0, liquidity));
}

/**
 * The quoted Yes price in price units (1e-4) for hidden probability `p`: D(p) rounded to the
 * nearest multiple of `tickUnits` and kept within [tick, 1 − tick].
 */
export function quoteUnits(domain: HistoryDomain, p: number, tickUnits: number): number {
  const steps = Math.round(distort(domain, p) * 10_000 / tickUnits);
  const max = Math.floor(10_000 / tickUnits) - 1;
  return Math.min(max, Math.max(1, steps)) * tickUnits;
}
