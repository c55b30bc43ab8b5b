/**
 * The regularised model over the features (issue 28): logistic regression on the market's own
 * log-odds plus every named feature of the training rows, so it starts from the price and can
 * only add what the features explain.
 *
 * Inputs per row: 1, logit(price), then for each feature its value standardised with the
 * training rows' mean and standard deviation (0 when unknown, i.e. NaN: the training mean), and
 * for each feature that was ever unknown in training a 0/1 "unknown" indicator. L2 penalty
 * `l2` (default 1) on every weight but the intercept; with standardised inputs one λ fits all
 * of them. A feature constant in training gets scale 1 and carries no information. Fitted by
 * Newton steps (`_logistic.ts`); a fit that does not converge throws.
 *
 * @example
 * ```ts
 * import { fitFeatureModel, predictFeatureModel } from "./feature_model.ts";
 * const rows = [0.2, 0.4, 0.6, 0.8].map((price, i) => ({
 *   price, label: (i > 1 ? 1 : 0) as 0 | 1, features: { spread: 0.01 * i },
 * }));
 * const model = fitFeatureModel(rows, { l2: 1 });
 * predictFeatureModel(model, rows[0]); // a probability
 * ```
 */
import { fitLogistic, sigmoid } from "./_logistic.ts";
import { logit } from "./calibration.ts";

/** The rows' fields the feature model reads. */
export interface FeatureInput {
  readonly price: number;
  readonly label?: 0 | 1;
  readonly features: Readonly<Record<string, number>>;
}

export interface FeatureModel {
  readonly method: "features";
  readonly names: readonly string[];
  readonly means: readonly number[];
  readonly scales: readonly number[];
  /** Per name: whether an "unknown" indicator input follows the standardised values. */
  readonly indicators: readonly boolean[];
  /** Intercept, logit(price), standardised features, then the indicators in name order. */
  readonly weights: readonly number[];
  readonly l2: number;
}

/** Fits the model; every row must carry a label. */
export function fitFeatureModel(
  rows: readonly FeatureInput[],
  options: { readonly l2?: number } = {},
): FeatureModel {
  if (rows.length === 0) throw new RangeError("Cannot fit the feature model to no rows");
  const l2 = options.l2 ?? 1;
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.features)))].sort();
  const means: number[] = [];
  const scales: number[] = [];
  const indicators: boolean[] = [];
  for (const name of names) {
    const known = rows.map((r) => r.features[name]).filter((v) => Number.isFinite(v));
    const mean = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 0;
    const variance = known.length > 1
      ? known.reduce((a, v) => a + (v - mean) ** 2, 0) / (known.length - 1)
      : 0;
    means.push(mean);
    scales.push(variance > 0 ? Math.sqrt(variance) : 1);
    indicators.push(known.length < rows.length);
  }
  const shape = { names, means, scales, indicators };
  const labels = rows.map((r, i) => {
    if (r.label === undefined) throw new RangeError(`Row ${i} has no label`);
    return r.label;
  });
  const fit = fitLogistic(rows.map((r) => inputs(shape, r)), labels, { l2 });
  if (!fit.converged) throw new Error(`Feature model did not converge in ${fit.iterations} steps`);
  return { method: "features", ...shape, weights: fit.weights, l2 };
}

/** The model's probability for one row. */
export function predictFeatureModel(model: FeatureModel, row: FeatureInput): number {
  const x = inputs(model, row);
  let z = 0;
  for (let j = 0; j < x.length; j++) z += x[j] * model.weights[j];
  return sigmoid(z);
}

function inputs(
  shape: Pick<FeatureModel, "names" | "means" | "scales" | "indicators">,
  row: FeatureInput,
): number[] {
  const x = [1, logit(row.price)];
  const flags: number[] = [];
  shape.names.forEach((name, j) => {
    const v = row.features[name];
    const known = Number.isFinite(v);
    x.push(known ? (v - shape.means[j]) / shape.scales[j] : 0);
    if (shape.indicators[j]) flags.push(known ? 0 : 1);
  });
  return x.concat(flags);
}
