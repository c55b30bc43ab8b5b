/**
 * Whether a cell's training rows show that the market's price is miscalibrated at all: a
 * likelihood-ratio test of a fitted map against the identity (the price itself), which the
 * map nests (beta with a = b = 1, c = 0; Platt with a = 1, b = 0; the feature model with the
 * price's weight 1 and all others 0). 2 (ℓ_fit − ℓ_price) is compared with the χ² critical
 * value at `alpha` for as many degrees of freedom as the map has parameters (`criticalValue`,
 * α ∈ {0.1, 0.05, 0.025, 0.01, 0.005}). Isotonic maps have no fixed count of parameters:
 * they are gated by the beta map's test (3 degrees of freedom) on the same rows.
 *
 * A cell that fails the test is predicted by the market price. Without the gate, a calibrated
 * market pays for the fitting noise of every map (the control segment of the model benchmark:
 * +0.0006 Brier, interval excluding 0); with it, the map is used only where the training rows
 * show a distortion.
 *
 * @example
 * ```ts ignore
 * import { passesGate } from "./_gate.ts";
 * passesGate(rows, fitted, 0.01); // false for a calibrated market, most of the time
 * ```
 */
import { chiSquaredDistributionTable, probit } from "simple-statistics";
import type { DatasetRow } from "./dataset_row.ts";
import { fitModel, type FittedModel, predictModel } from "./model.ts";

const CLIP = 1e-6;

/** True when `fitted` fits `rows` significantly better than the price at level `alpha`. */
export function passesGate(
  rows: readonly DatasetRow[],
  fitted: FittedModel,
  alpha: number,
): boolean {
  const tested = fitted.method === "isotonic" ? fitModel(rows, "beta") : fitted;
  const df = tested.method === "features"
    ? tested.weights.length
    : tested.method === "beta"
    ? 3
    : tested.method === "platt"
    ? 2
    : 0;
  if (df === 0) return false;
  let statistic = 0;
  for (const row of rows) {
    statistic += 2 *
      (logLikelihood(predictModel(tested, row), row.label) - logLikelihood(row.price, row.label));
  }
  return statistic > criticalValue(df, alpha);
}

/**
 * True when `fitted`, fitted on other rows, beats the prices of `rows`: 2 × its log-likelihood
 * gain exceeds the χ² critical value for 1 degree of freedom at `alpha` (a hurdle, not an
 * exact test: the map was not fitted on these rows, so a small sample's lucky gain is not
 * enough).
 */
export function improves(rows: readonly DatasetRow[], fitted: FittedModel, alpha: number): boolean {
  let gain = 0;
  for (const row of rows) {
    gain += logLikelihood(predictModel(fitted, row), row.label) -
      logLikelihood(row.price, row.label);
  }
  return 2 * gain > criticalValue(1, alpha);
}

function logLikelihood(p: number, label: 0 | 1): number {
  const q = Math.min(1 - CLIP, Math.max(CLIP, p));
  return label === 1 ? Math.log(q) : Math.log(1 - q);
}

/**
 * χ² critical value for `df` degrees of freedom at upper-tail level `alpha`: simple-statistics'
 * table up to 100 (the next tabulated df at or above `df`, so never below the exact value for
 * the table's gaps above 30), the Wilson–Hilferty approximation beyond it.
 */
export function criticalValue(df: number, alpha: number): number {
  const table = chiSquaredDistributionTable as unknown as Record<number, Record<number, number>>;
  if (table[1][alpha] === undefined) {
    throw new RangeError(`Gate level must be 0.1, 0.05, 0.025, 0.01 or 0.005: ${alpha}`);
  }
  const dfs = Object.keys(table).map(Number).sort((a, b) => a - b);
  const row = dfs.find((d) => d >= df);
  if (row !== undefined) return table[row][alpha];
  const v = 2 / (9 * df);
  return df * (1 - v + probit(1 - alpha) * Math.sqrt(v)) ** 3;
}
