/**
 * A synthetic resolved history with known hidden probabilities, for the models' tests and
 * `deno task bench model` until the simulator serves a closed history of its own. Every market
 * has a hidden probability q of YES; its label is drawn from q; its price at t − horizon is q
 * passed through its domain's documented distortion (rounded to a 0.001 tick):
 *
 * - `politics`, underconfident (prices pulled toward 50%, shared/models.md §1):
 *   logit p = 0.55 · logit q.
 * - `crypto`, favourite-longshot bias with a YES lean: logit p = 0.7 · logit q + 0.15
 *   (a 5% longshot trades at 13%, a 95% favourite at 90%). A fifth of its events are neg-risk
 *   partitions of 3–6 members whose hidden probabilities sum to 1 (one member wins); each
 *   member's price is distorted alone, so the prices do not sum to 1.
 * - `sports`, the calibrated control: p = q.
 * - `other`, calibrated, and too small to get a model of its own (it tests the pooled fallback).
 *
 * q = σ(z) with z ~ N(0, 1.8²), so about 10% of rows sit in the near-certain tail. Features:
 * `logDepthUsd` (natural log of the book depth in dollars, uniform over ln 100 … ln 1e6) and
 * `spread` (uniform 0.001 … 0.05), both unrelated to the outcome (a model that leans on them
 * only adds noise). Resolutions spread uniformly over `days` days.
 *
 * @example
 * ```ts
 * import { synthesizeHistory } from "./synthetic.ts";
 * const { rows, hidden } = synthesizeHistory({ markets: 1000, seed: 1 });
 * rows.length === hidden.length; // true
 * ```
 */
import type { DatasetRow } from "./dataset_row.ts";
import { sigmoid } from "./_logistic.ts";
import { seededUniform } from "./_random.ts";
import { horizonMs } from "./_horizon.ts";

/** Each domain's distortion of the hidden probability into a price. */
export const DISTORTIONS: Readonly<Record<string, (q: number) => number>> = {
  politics: (q) => sigmoid(0.55 * logOdds(q)),
  crypto: (q) => sigmoid(0.7 * logOdds(q) + 0.15),
  sports: (q) => q,
  other: (q) => q,
};

/** Share of markets per domain. */
const MIX: readonly [string, number][] = [
  ["politics", 0.35],
  ["crypto", 0.35],
  ["sports", 0.28],
  ["other", 0.02],
];

export interface SyntheticOptions {
  /** Markets to generate (at least; a partition is never cut). */
  readonly markets: number;
  readonly seed: number;
  readonly horizon?: string;
  readonly days?: number;
  /** First resolution instant (default 2025-01-01). */
  readonly start?: number;
}

export interface SyntheticHistory {
  readonly rows: DatasetRow[];
  /** The hidden probability of each row (what the oracle predicts). */
  readonly hidden: number[];
}

/** Generates the history, deterministic by seed. */
export function synthesizeHistory(options: SyntheticOptions): SyntheticHistory {
  const next = seededUniform(options.seed);
  const horizon = options.horizon ?? "24h";
  const days = options.days ?? 365;
  const start = options.start ?? Date.UTC(2025, 0, 1);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const rows: DatasetRow[] = [];
  const hidden: number[] = [];
  let event = 0;
  while (rows.length < options.markets) {
    event++;
    let u = next();
    const domain = MIX.find(([, share]) => (u -= share) < 0)?.[0] ?? "other";
    const resolvedAt = start + Math.floor(next() * days * 86_400_000);
    const partition = domain === "crypto" && next() < 0.2;
    let qs: number[];
    let winner = -1;
    if (partition) {
      const weights = Array.from(
        { length: 3 + Math.floor(next() * 4) },
        () => -Math.log(1 - next()),
      );
      const sum = weights.reduce((a, b) => a + b, 0);
      qs = weights.map((w) => w / sum);
      let v = next();
      winner = qs.findIndex((q) => (v -= q) < 0);
      if (winner < 0) winner = qs.length - 1;
    } else qs = [sigmoid(1.8 * normal())];
    qs.forEach((q, m) => {
      const price = Math.min(
        0.999,
        Math.max(0.001, Math.round(DISTORTIONS[domain](q) * 1000) / 1000),
      );
      const label: 0 | 1 = partition ? (m === winner ? 1 : 0) : next() < q ? 1 : 0;
      rows.push({
        marketId: `m${event}.${m}`,
        eventId: `e${event}`,
        tokenId: `t${event}.${m}`,
        horizon,
        instant: resolvedAt - horizonMs(horizon),
        resolvedAt,
        domain,
        negRiskGroupSize: qs.length,
        price,
        label,
        features: {
          logDepthUsd: Math.log(100) + next() * Math.log(1e4),
          spread: 0.001 + next() * 0.049,
        },
      });
      hidden.push(q);
    });
  }
  return { rows, hidden };
}

function logOdds(q: number): number {
  const p = Math.min(1 - 1e-9, Math.max(1e-9, q));
  return Math.log(p / (1 - p));
}
