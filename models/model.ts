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

export type ModelMethod = "market" | "isotonic" | "platt" | "beta" | "features";
export const MODEL_METHODS: readonly ModelMethod[] = [
  "market",
  "isotonic",
  "platt",
  "beta",
  "features",
];

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
