/**
 * Walk-forward evaluation by resolution time (issue 28, shared/models.md §3): every prediction
 * is out of sample and made by a model that saw only markets resolved before it could be known.
 *
 * Folds: the distinct resolution times are cut at `folds` + 1 equal-count quantiles into
 * consecutive blocks (rows resolved at one instant share a block). Block 0 only trains. Block k
 * is predicted by models fitted on the rows resolved before the earlier of its first instant T_k
 * minus the embargo (default: the longest horizon among the rows) and the earliest `instant` of
 * its rows, so that no row learns from a market that resolved after its own instant (a market
 * that resolved long after its end has an instant further back than the horizon). Never a
 * random split.
 *
 * Cells: per fold, one model per domain × horizon when that cell has at least `minCellRows`
 * training rows (default 300) with at least 5 of each outcome; otherwise one pooled model per
 * horizon (all domains) under the same rule, kept only when it fits the small cell's own
 * training rows clearly better than their prices (`improves` in `_gate.ts`, at the gate's
 * level; domains distorted in opposite ways would otherwise pass one domain's correction to a
 * calibrated one); otherwise the market price
 * itself. Each prediction says which it got.
 *
 * Tail: rows priced < 0.05 or > 0.95 neither train a map nor get one (they keep their price,
 * cell "tail") unless `fitTail`. They are most rows at short horizons, and a map fitted to them
 * learns the tick floor of near-dead markets and bends the middle where the edge would be.
 *
 * Gate (default α = 0.01, `gate: false` turns it off): a cell's map is used only when its
 * training rows show that the price is miscalibrated (likelihood-ratio test against the price,
 * `_gate.ts`); otherwise the cell predicts the market price and its predictions say "gated".
 *
 * After prediction, complete neg-risk partitions are made to sum to 1 (`coherence.ts`); the
 * market baseline is left as the venue priced it.
 *
 * @example
 * ```ts ignore
 * import { walkForward } from "./walk_forward.ts";
 * const result = walkForward(rows, { method: "beta", folds: 5 });
 * result.predictions[0].probability;
 * ```
 */
import type { DatasetRow } from "./dataset_row.ts";
import { fitModel, type FittedModel, type ModelMethod, predictModel } from "./model.ts";
import { coherePartitions } from "./coherence.ts";
import { horizonMs } from "./_horizon.ts";
import { improves, passesGate } from "./_gate.ts";

/** Default minimum training rows of a domain × horizon cell before it gets its own model. */
export const MIN_CELL_ROWS = 300;
const MIN_EACH_OUTCOME = 5;
/** Near-certain tail: a market price below this or above 1 − this. */
export const TAIL = 0.05;

export interface WalkForwardOptions {
  readonly method: ModelMethod;
  /** Test folds (default 5); the data is cut into folds + 1 blocks. */
  readonly folds?: number;
  readonly minCellRows?: number;
  /** Training rows must resolve this long before the fold's first resolution. */
  readonly embargoMs?: number;
  /** Level of the gate (default 0.01), or false to use every fitted map. */
  readonly gate?: 0.1 | 0.05 | 0.025 | 0.01 | 0.005 | false;
  /** Also fit and map the near-certain tail (default false: its rows keep their price). */
  readonly fitTail?: boolean;
  /** Make complete neg-risk partitions coherent (default true). */
  readonly coherent?: boolean;
}

export type CellKind = "domain" | "pooled" | "gated" | "tail" | "market";

export interface Prediction {
  readonly row: DatasetRow;
  /** Index of the row in the input. */
  readonly index: number;
  readonly probability: number;
  readonly fold: number;
  readonly cell: CellKind;
}

export interface Fold {
  readonly fold: number;
  /** First resolution instant of the block this fold predicts (inclusive). */
  readonly testFrom: number;
  /** Resolution instant the block ends before (exclusive; Infinity for the last). */
  readonly testUntil: number;
  /** Training rows resolved strictly before this instant (≤ every test row's instant). */
  readonly trainUntil: number;
  /** Input indices of the rows every model of this fold was fitted on (a subset of them). */
  readonly trainIndices: readonly number[];
  readonly models: ReadonlyMap<string, FittedModel>;
}

export interface WalkForwardResult {
  readonly predictions: readonly Prediction[];
  readonly folds: readonly Fold[];
  /** Rows in block 0, used only for training. */
  readonly trainingOnly: number;
  readonly embargoMs: number;
  readonly coherentPartitions: number;
  readonly incompletePartitions: number;
}

/** Runs the walk-forward; rows may come in any order. */
export function walkForward(
  rows: readonly DatasetRow[],
  options: WalkForwardOptions,
): WalkForwardResult {
  const folds = options.folds ?? 5;
  const minCellRows = options.minCellRows ?? MIN_CELL_ROWS;
  if (!Number.isInteger(folds) || folds < 1) throw new RangeError(`Folds must be ≥ 1: ${folds}`);
  const times = [...new Set(rows.map((r) => r.resolvedAt))].sort((a, b) => a - b);
  if (times.length < folds + 1) {
    throw new RangeError(
      `Need at least ${folds + 1} distinct resolution times, got ${times.length}`,
    );
  }
  const embargoMs = options.embargoMs ??
    Math.max(...[...new Set(rows.map((r) => r.horizon))].map(horizonMs));
  const cuts = Array.from(
    { length: folds },
    (_, k) => times[Math.floor(((k + 1) * times.length) / (folds + 1))],
  );
  const predictions: Prediction[] = [];
  const foldInfo: Fold[] = [];
  for (let k = 0; k < folds; k++) {
    const testFrom = cuts[k];
    const testUntil = k + 1 < folds ? cuts[k + 1] : Infinity;
    const testIndices: number[] = [];
    let earliestInstant = Infinity;
    rows.forEach((r, i) => {
      if (r.resolvedAt >= testFrom && r.resolvedAt < testUntil) {
        testIndices.push(i);
        earliestInstant = Math.min(earliestInstant, r.instant);
      }
    });
    // A market can resolve long after its end (disputes, late resolution): its instant is then
    // further back than the horizon, and no training row may resolve after it.
    const trainUntil = Math.min(testFrom - embargoMs, earliestInstant);
    const trainIndices: number[] = [];
    rows.forEach((r, i) => {
      if (r.resolvedAt < trainUntil) trainIndices.push(i);
    });
    const models = new Map<string, FittedModel>();
    const gate = options.gate ?? 0.01;
    const cellOf = fitCells(
      rows,
      trainIndices,
      { ...options, minCellRows, gate, fitTail: options.fitTail ?? false },
      models,
    );
    for (const i of testIndices) {
      const found = cellOf(rows[i]);
      const model = found.key === undefined ? undefined : models.get(found.key);
      predictions.push({
        row: rows[i],
        index: i,
        probability: model === undefined ? rows[i].price : predictModel(model, rows[i]),
        fold: k + 1,
        cell: found.kind,
      });
    }
    foldInfo.push({ fold: k + 1, testFrom, testUntil, trainUntil, trainIndices, models });
  }
  let coherentPartitions = 0;
  let incompletePartitions = 0;
  if (options.coherent ?? true) {
    const out = coherePartitions(
      predictions.map((p) => ({ ...p.row, probability: p.probability })),
    );
    out.probabilities.forEach((
      probability,
      j,
    ) => (predictions[j] = { ...predictions[j], probability }));
    coherentPartitions = out.partitions;
    incompletePartitions = out.incomplete;
  }
  return {
    predictions,
    folds: foldInfo,
    trainingOnly: rows.filter((r) => r.resolvedAt < cuts[0]).length,
    embargoMs,
    coherentPartitions,
    incompletePartitions,
  };
}

/**
 * Fits, lazily, the cells that rows ask for, from the training rows `trainIndices` of `rows`;
 * returns how a row finds its model (a key of `models`, or none: predict the price). Shared by
 * the walk-forward and by the deployable model fitted on everything (`deployable.ts`).
 */
export function fitCells(
  rows: readonly DatasetRow[],
  trainIndices: readonly number[],
  options: {
    readonly method: ModelMethod;
    readonly minCellRows: number;
    readonly gate: number | false;
    readonly fitTail: boolean;
  },
  models: Map<string, FittedModel>,
): (row: DatasetRow) => { key: string | undefined; kind: CellKind } {
  const groups = new Map<string, DatasetRow[]>();
  const add = (key: string, row: DatasetRow) => {
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  };
  for (const i of trainIndices) {
    if (!options.fitTail && inTail(rows[i])) continue;
    add(ownKey(rows[i]), rows[i]);
    add(pooledKey(rows[i]), rows[i]);
  }
  const usable = (key: string): boolean => {
    const group = groups.get(key);
    if (group === undefined || group.length < options.minCellRows) return false;
    const ones = group.reduce((n, r) => n + r.label, 0);
    return ones >= MIN_EACH_OUTCOME && group.length - ones >= MIN_EACH_OUTCOME;
  };
  /** Fits the cell once; false when the gate kept the price. */
  const fitted = (key: string): boolean => {
    if (!models.has(key)) {
      const group = groups.get(key)!;
      const model = fitModel(group, options.method);
      const kept = options.gate === false || passesGate(group, model, options.gate);
      models.set(key, kept ? model : { method: "identity" });
    }
    return models.get(key)!.method !== "identity";
  };
  const decisions = new Map<string, { key: string | undefined; kind: CellKind }>();
  const decide = (row: DatasetRow): { key: string | undefined; kind: CellKind } => {
    const own = ownKey(row);
    if (usable(own)) return fitted(own) ? { key: own, kind: "domain" } : gated;
    const pooled = pooledKey(row);
    if (!usable(pooled)) return { key: undefined, kind: "market" };
    if (!fitted(pooled)) return gated;
    // The pooled map mixes other domains' distortions: keep it only when it fits this
    // domain's own training rows better than their prices do.
    const mine = groups.get(own) ?? [];
    return mine.length === 0 || options.gate === false ||
        improves(mine, models.get(pooled)!, options.gate)
      ? { key: pooled, kind: "pooled" }
      : gated;
  };
  return (row) => {
    if (!options.fitTail && inTail(row)) return { key: undefined, kind: "tail" };
    const own = ownKey(row);
    if (!decisions.has(own)) decisions.set(own, decide(row));
    return decisions.get(own)!;
  };
}

const gated = { key: undefined, kind: "gated" } as const;
const ownKey = (row: DatasetRow) => `d\u0000${row.domain}\u0000${row.horizon}`;
const pooledKey = (row: DatasetRow) => `p\u0000${row.horizon}`;

/** Market price < 0.05 or > 0.95. */
export function inTail(row: { readonly price: number }): boolean {
  return row.price < TAIL || row.price > 1 - TAIL;
}
