/**
 * The model `pmcollect model fit` stores and `model eval` applies: the cells of the
 * walk-forward (`walk_forward.ts`: one map per domain × horizon, pooled fallback, gate, tail
 * at its price) fitted once on every row given, as plain JSON. A row finds its domain × horizon
 * cell; a domain never seen in training gets its horizon's pooled map (or its price when that
 * was gated or too small); a tail row keeps its price unless the model was fitted with the tail.
 * `predictDeployable` makes complete neg-risk partitions coherent, as the walk-forward does.
 *
 * @example
 * ```ts ignore
 * import { fitDeployable, predictDeployable } from "./deployable.ts";
 * const model = fitDeployable(rows, { method: "beta" });
 * const probabilities = predictDeployable(model, newRows);
 * ```
 */
import type { DatasetRow } from "./dataset_row.ts";
import type { FittedModel, ModelMethod } from "./model.ts";
import { predictModel } from "./model.ts";
import { type CellKind, fitCells, inTail, MIN_CELL_ROWS } from "./walk_forward.ts";
import { coherePartitions } from "./coherence.ts";

export interface DeployableCell {
  /** Null in `unseen`: any domain not seen in training. */
  readonly domain: string | null;
  readonly horizon: string;
  readonly kind: CellKind;
  /** Null: the cell predicts the price. */
  readonly model: FittedModel | null;
}

export interface DeployableModel {
  readonly method: ModelMethod;
  readonly gate: number | false;
  readonly minCellRows: number;
  readonly fitTail: boolean;
  readonly cells: readonly DeployableCell[];
  /** Per horizon, what a domain unseen in training gets. */
  readonly unseen: readonly DeployableCell[];
}

export interface DeployableOptions {
  readonly method: ModelMethod;
  readonly gate?: 0.1 | 0.05 | 0.025 | 0.01 | 0.005 | false;
  readonly minCellRows?: number;
  readonly fitTail?: boolean;
}

/** Fits every cell on all of `rows`. */
export function fitDeployable(
  rows: readonly DatasetRow[],
  options: DeployableOptions,
): DeployableModel {
  if (rows.length === 0) throw new RangeError("Cannot fit a model to no rows");
  const settings = {
    method: options.method,
    gate: options.gate ?? 0.01,
    minCellRows: options.minCellRows ?? MIN_CELL_ROWS,
    fitTail: options.fitTail ?? false,
  };
  const models = new Map<string, FittedModel>();
  const cellOf = fitCells(rows, rows.map((_, i) => i), settings, models);
  const cell = (domain: string | null, horizon: string, probe: DatasetRow): DeployableCell => {
    // A mid-priced probe, so the tail rule does not answer for the cell; an unseen domain is
    // probed with a name no venue domain has (and stored as null: jsonb refuses \u0000).
    const found = cellOf({ ...probe, domain: domain ?? "\u0000unseen", horizon, price: 0.5 });
    const model = found.key === undefined ? undefined : models.get(found.key);
    return {
      domain,
      horizon,
      kind: found.kind,
      model: model === undefined || model.method === "identity" ? null : model,
    };
  };
  const seen = new Map<string, DatasetRow>();
  for (const row of rows) seen.set(`${row.domain}\u0000${row.horizon}`, row);
  const horizons = new Map(rows.map((r) => [r.horizon, r]));
  return {
    ...settings,
    cells: [...seen.values()].map((r) => cell(r.domain, r.horizon, r)),
    unseen: [...horizons.values()].map((r) => cell(null, r.horizon, r)),
  };
}

/**
 * Whether any cell reads a row's features (a `features` model); otherwise a prediction reads the
 * row's price, domain, horizon, event and neg-risk group size alone (the calibration maps).
 */
export function readsFeatures(model: DeployableModel): boolean {
  return [...model.cells, ...model.unseen].some((c) => c.model?.method === "features");
}

/** The model's probabilities for `rows`, in order, complete partitions made coherent. */
export function predictDeployable(
  model: DeployableModel,
  rows: readonly DatasetRow[],
): number[] {
  const cells = new Map(model.cells.map((c) => [`${c.domain}\u0000${c.horizon}`, c]));
  const unseen = new Map(model.unseen.map((c) => [c.horizon, c]));
  const raw = rows.map((row) => {
    if (!model.fitTail && inTail(row)) return row.price;
    const cell = cells.get(`${row.domain}\u0000${row.horizon}`) ?? unseen.get(row.horizon);
    return cell?.model == null ? row.price : predictModel(cell.model, row);
  });
  return coherePartitions(rows.map((row, i) => ({ ...row, probability: raw[i] }))).probabilities;
}
