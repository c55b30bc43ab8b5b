/**
 * Calibration maps of the market's own price (issue 28): each learns p ↦ P(YES | price) from
 * resolved rows, so a distorted price (politics pulled toward 50%, a favourite-longshot bias) is
 * mapped back to a frequency.
 *
 * - `isotonic`: the monotone step function closest in squared error (pool-adjacent-violators,
 *   ties in price pooled first). Written here: neither simple-statistics, ml-matrix nor any
 *   other kept dependency has isotonic regression, and it is ~30 lines. Predictions interpolate
 *   linearly between the blocks' mean prices and stay flat beyond the ends.
 * - `platt`: logistic on logit(price): σ(a·logit p + b).
 * - `beta`: logistic on [ln p, −ln(1 − p)]: σ(a ln p − b ln(1 − p) + c) (Kull et al., 2017);
 *   it also fits asymmetric distortions Platt cannot. a and b must be ≥ 0 for a monotone map:
 *   when one comes out negative it is dropped and the fit repeated with the other alone.
 *
 * Prices are clipped to [1e-4, 1 − 1e-4] before any logarithm. The logistic fits are Newton
 * steps with a small L2 penalty (λ = 1e-3 on the slopes, not on the intercept) that only keeps
 * a separable sample finite (see `_logistic.ts` for why not ml-logistic-regression). A fit that
 * does not converge throws.
 *
 * @example
 * ```ts
 * import { fitCalibration, predictCalibration } from "./calibration.ts";
 * const map = fitCalibration([0.2, 0.4, 0.6, 0.8], [0, 0, 1, 1], "isotonic");
 * predictCalibration(map, 0.7); // 1
 * ```
 */
import { fitLogistic } from "./_logistic.ts";
import { sigmoid } from "./_logistic.ts";

export type CalibrationMethod = "isotonic" | "platt" | "beta";
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ["isotonic", "platt", "beta"];

/** A fitted map, plain JSON so it can be stored with the model. */
export type CalibrationMap =
  | { readonly method: "identity" }
  | {
    readonly method: "isotonic";
    /** Mean price of each block, increasing. */
    readonly x: readonly number[];
    /** Frequency of each block, non-decreasing. */
    readonly y: readonly number[];
  }
  | { readonly method: "platt"; readonly a: number; readonly b: number }
  | { readonly method: "beta"; readonly a: number; readonly b: number; readonly c: number };

/** Smallest distance from 0 and 1 a price is clipped to before a logarithm. */
export const PRICE_CLIP = 1e-4;
const SLOPE_L2 = 1e-3;

/** Fits `method` to prices and their outcomes. */
export function fitCalibration(
  prices: readonly number[],
  labels: readonly number[],
  method: CalibrationMethod,
): CalibrationMap {
  if (prices.length !== labels.length || prices.length === 0) {
    throw new RangeError(`Cannot fit ${prices.length} prices to ${labels.length} labels`);
  }
  if (method === "isotonic") return fitIsotonic(prices, labels);
  if (method === "platt") {
    const w = logistic(prices.map((p) => [1, logit(p)]), labels);
    return { method, a: w[1], b: w[0] };
  }
  if (method === "beta") return fitBeta(prices, labels);
  throw new RangeError(`Unknown calibration method: ${method}`);
}

/** The calibrated probability of `price` under `map`. */
export function predictCalibration(map: CalibrationMap, price: number): number {
  switch (map.method) {
    case "identity":
      return price;
    case "platt":
      return sigmoid(map.a * logit(price) + map.b);
    case "beta": {
      const p = clip(price);
      return sigmoid(map.a * Math.log(p) - map.b * Math.log(1 - p) + map.c);
    }
    case "isotonic":
      return interpolate(map.x, map.y, price);
  }
}

/** ln(p / (1 − p)) of the clipped price. */
export function logit(price: number): number {
  const p = clip(price);
  return Math.log(p / (1 - p));
}

function clip(price: number): number {
  return Math.min(1 - PRICE_CLIP, Math.max(PRICE_CLIP, price));
}

function logistic(x: number[][], y: readonly number[]): readonly number[] {
  const fit = fitLogistic(x, y, { l2: SLOPE_L2 });
  if (!fit.converged) {
    throw new Error(`Logistic calibration did not converge in ${fit.iterations} steps`);
  }
  return fit.weights;
}

function fitBeta(prices: readonly number[], labels: readonly number[]): CalibrationMap {
  const lnP = prices.map((p) => Math.log(clip(p)));
  const lnQ = prices.map((p) => -Math.log(1 - clip(p)));
  const w = logistic(prices.map((_, i) => [1, lnP[i], lnQ[i]]), labels);
  if (w[1] >= 0 && w[2] >= 0) return { method: "beta", a: w[1], b: w[2], c: w[0] };
  if (w[1] < 0) {
    const v = logistic(prices.map((_, i) => [1, lnQ[i]]), labels);
    return { method: "beta", a: 0, b: Math.max(0, v[1]), c: v[0] };
  }
  const v = logistic(prices.map((_, i) => [1, lnP[i]]), labels);
  return { method: "beta", a: Math.max(0, v[1]), b: 0, c: v[0] };
}

/** Weighted pool-adjacent-violators over prices sorted ascending, equal prices pooled first. */
function fitIsotonic(prices: readonly number[], labels: readonly number[]): CalibrationMap {
  const order = prices.map((_, i) => i).sort((i, j) => prices[i] - prices[j]);
  // Blocks as parallel stacks: weight, sum of prices, sum of labels.
  const w: number[] = [];
  const sx: number[] = [];
  const sy: number[] = [];
  for (let at = 0; at < order.length;) {
    // One new block per distinct price, holding all its rows.
    const price = prices[order[at]];
    let n = 0;
    let ones = 0;
    for (; at < order.length && prices[order[at]] === price; at++) {
      n++;
      ones += labels[order[at]];
    }
    w.push(n);
    sx.push(price * n);
    sy.push(ones);
    while (w.length > 1) {
      const a = w.length - 2;
      const b = w.length - 1;
      if (sy[a] / w[a] <= sy[b] / w[b]) break;
      w[a] += w[b];
      sx[a] += sx[b];
      sy[a] += sy[b];
      w.pop();
      sx.pop();
      sy.pop();
    }
  }
  return { method: "isotonic", x: sx.map((s, k) => s / w[k]), y: sy.map((s, k) => s / w[k]) };
}

function interpolate(x: readonly number[], y: readonly number[], at: number): number {
  if (at <= x[0]) return y[0];
  const last = x.length - 1;
  if (at >= x[last]) return y[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= at) lo = mid;
    else hi = mid;
  }
  return y[lo] + ((y[hi] - y[lo]) * (at - x[lo])) / (x[hi] - x[lo]);
}
