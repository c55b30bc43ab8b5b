/**
 * One row of a point-in-time dataset (issue 28): one binary market at one horizon before its
 * end, with features computed only from data stored before `instant`, and its outcome. The
 * dataset builder (from PostgreSQL or from an export folder through DuckDB) writes these; model
 * fitting, evaluation and forecasting read them.
 *
 * Features are plain numbers (NaN when unknown at that instant, never a guess); categorical
 * facts that segment evaluation (domain, price bucket, liquidity bucket) are their own fields.
 *
 * @example
 * ```ts
 * import type { DatasetRow } from "./dataset_row.ts";
 * const row: DatasetRow = {
 *   marketId: "12", eventId: "7", tokenId: "111", horizon: "24h", instant: 1_760_000_000_000,
 *   resolvedAt: 1_760_086_400_000, domain: "politics", negRiskGroupSize: 1,
 *   price: 0.62, label: 1, features: { spread: 0.02, logDepthUsd: 6.1 },
 * };
 * ```
 */

/** The fixed horizons a dataset is built at ("1h", "24h", "7d", …). */
export type Horizon = string;

export interface DatasetRow {
  readonly marketId: string;
  /** The market's event (neg-risk group members share one): bootstrap resamples events. */
  readonly eventId: string;
  /** The YES (first outcome) token the price and label refer to. */
  readonly tokenId: string;
  readonly horizon: Horizon;
  /** Unix ms: the instant the features are as of (end or resolution minus the horizon). */
  readonly instant: number;
  /** Unix ms: when the market resolved (walk-forward splits on this). */
  readonly resolvedAt: number;
  /** The market's category/domain as the venue showed it at `instant` ("other" when none). */
  readonly domain: string;
  /** Members of its neg-risk group (1 for a standalone market). */
  readonly negRiskGroupSize: number;
  /** The market's own probability at `instant`: the YES mid (or last price when no book). */
  readonly price: number;
  /** 1 when the YES token won, 0 when it lost. (Voided / 50-50 markets are not rows; count them.) */
  readonly label: 0 | 1;
  /** Named numeric features, NaN when unknown at `instant`. */
  readonly features: Readonly<Record<string, number>>;
}
