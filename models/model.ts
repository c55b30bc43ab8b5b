/**
 * One name for every candidate model (issue 28): the calibration maps of the price (isotonic,
 * Platt, beta), the regularised feature model, and "market" (the price itself, the baseline),
 * each fitted from and applied to DatasetRows. A fitted model is plain JSON, stored as is.
 *
 * @example
 * ```ts
 * import { fitModel, predictModel } from "./model.ts";
 * const rows = [0.2, 0.4, 0.6, 0.8].map((price, i) => ({
 *   price, label: (i > 1 ? 1 : 0) as 0 | 1, features: {},
 * }));
 * const fitted = fitModel(rows, "platt");
 * predictModel(fitted, rows[3]); // > 0.5
 * ```
 */
import { type CalibrationMap, fitCalibration, predictCalibration } from "./calibration.ts";
import {
  type FeatureInput,
  type FeatureModel,
  fitFeatureModel,
  predictFeatureModel,
} from "./feature_model.ts";

export type ModelMethod = "market" | "isotonic" | "platt" | "beta" | "features" | "auto";
export const MODEL_METHODS: readonly ModelMethod[] = [
  "market",
  "isotonic",
  "platt",
  "beta",
  "features",
  "auto",
];

/** What "auto" chooses between: a smooth parametric map and a free monotone one. */
const AUTO_CANDIDATES = ["beta", "isotonic"] as const;
/** Folds of the choice's cross-validation, and the fewest rows it is tried on (else beta). */
const AUTO_FOLDS = 5;
const AUTO_MIN_ROWS = 200;

export type FittedModel = CalibrationMap | FeatureModel;

/** Fits `method` to labelled rows. */
export function fitModel(
  rows: readonly (FeatureInput & { readonly label: 0 | 1 })[],
  method: ModelMethod,
): FittedModel {
  switch (method) {
    case "market":
      return { method: "identity" };
    case "features":
      return fitFeatureModel(rows);
    case "isotonic":
    case "platt":
    case "beta":
      return fitCalibration(rows.map((r) => r.price), rows.map((r) => r.label), method);
    case "auto":
      return fitModel(rows, chooseMap(rows));
    default:
      throw new RangeError(
        `Unknown model method: ${method}; choose from ${MODEL_METHODS.join(", ")}`,
      );
  }
}

/** The fitted model's probability for one row. */
export function predictModel(model: FittedModel, row: FeatureInput): number {
  return model.method === "features"
    ? predictFeatureModel(model, row)
    : predictCalibration(model, row.price);
}

/**
 * The calibration map "auto" fits: of beta and isotonic, the one with the lower Brier score in a
 * cross-validation over `AUTO_FOLDS` contiguous blocks of the rows as given (the walk-forward
 * hands a cell's training rows in resolution order). Beta cannot bend to a map that is flat at
 * an end (a longshot floor: a price of 0.05 that means 0), isotonic can but is noisier on few
 * rows; the data decides, within the training rows only. Below `AUTO_MIN_ROWS` rows: beta.
 */
export function chooseMap(
  rows: readonly (FeatureInput & { readonly label: 0 | 1 })[],
): (typeof AUTO_CANDIDATES)[number] {
  if (rows.length < AUTO_MIN_ROWS) return "beta";
  let best: (typeof AUTO_CANDIDATES)[number] = "beta";
  let bestError = Infinity;
  for (const method of AUTO_CANDIDATES) {
    let error = 0;
    for (let fold = 0; fold < AUTO_FOLDS; fold++) {
      const from = Math.floor(fold * rows.length / AUTO_FOLDS);
      const to = Math.floor((fold + 1) * rows.length / AUTO_FOLDS);
      const train = [...rows.slice(0, from), ...rows.slice(to)];
      const map = fitCalibration(train.map((r) => r.price), train.map((r) => r.label), method);
      for (let i = from; i < to; i++) {
        error += (predictCalibration(map, rows[i]!.price) - rows[i]!.label) ** 2;
      }
    }
    if (error < bestError) [best, bestError] = [method, error];
  }
  return best;
}
