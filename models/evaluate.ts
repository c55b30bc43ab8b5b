/**
 * The evaluation table (issue 28, shared/models.md §§1–3): per horizon, the model's scores
 * next to the market's on the same out-of-sample rows, overall and per segment (domain, price
 * bucket, liquidity bucket), with the Brier difference and its event-resampled 95% interval.
 *
 * - Near-certain tail: rows whose market price is < 0.05 or > 0.95 are scored in their own
 *   "tail" line and left out of every other line (they are easy and would dominate).
 * - Price buckets (market price): 0.05–0.2, 0.2–0.4, 0.4–0.6, 0.6–0.8, 0.8–0.95.
 * - Liquidity buckets: terciles of the feature `liquidityFeature` (default `logDepthUsd`) over
 *   the horizon's non-tail rows, the cut values printed; rows where it is unknown get "unknown".
 * - Sample construction with every figure: each line carries its rows, events and resolution
 *   date range; each horizon's header says what was excluded and why.
 *
 * @example
 * ```ts ignore
 * import { evaluateForecasts, formatEvaluation } from "./evaluate.ts";
 * const table = formatEvaluation(evaluateForecasts(forecasts, { excluded: ["12 voided markets"] }));
 * ```
 */
import type { DatasetRow } from "./dataset_row.ts";
import { type ForecastScores, scoreForecasts } from "./metrics.ts";
import { type BrierDifference, brierDifferenceInterval } from "./bootstrap.ts";
import { horizonMs } from "./_horizon.ts";
import { inTail, TAIL } from "./walk_forward.ts";

/** One out-of-sample forecast of a row. */
export interface Forecast {
  readonly row: DatasetRow;
  readonly probability: number;
}

export interface EvaluationOptions {
  readonly liquidityFeature?: string;
  readonly resamples?: number;
  readonly seed?: number;
  /** Exclusions made before these forecasts (e.g. "40 voided markets"), printed with each horizon. */
  readonly excluded?: readonly string[];
}

export type SegmentKind = "all" | "domain" | "price" | "liquidity" | "tail";

/** One line of the table. */
export interface SegmentFigures {
  readonly kind: SegmentKind;
  readonly value: string;
  readonly rows: number;
  readonly events: number;
  readonly resolvedFrom: number;
  readonly resolvedUntil: number;
  readonly model: ForecastScores;
  readonly market: ForecastScores;
  readonly difference: BrierDifference;
}

export interface HorizonEvaluation {
  readonly horizon: string;
  readonly excluded: readonly string[];
  readonly segments: readonly SegmentFigures[];
}

const PRICE_EDGES = [0.05, 0.2, 0.4, 0.6, 0.8, 0.95];

/** Scores every horizon and segment. */
export function evaluateForecasts(
  forecasts: readonly Forecast[],
  options: EvaluationOptions = {},
): HorizonEvaluation[] {
  if (forecasts.length === 0) throw new RangeError("Cannot evaluate no forecasts");
  const feature = options.liquidityFeature ?? "logDepthUsd";
  const horizons = [...new Set(forecasts.map((f) => f.row.horizon))]
    .sort((a, b) => horizonMs(a) - horizonMs(b));
  return horizons.map((horizon) => {
    const all = forecasts.filter((f) => f.row.horizon === horizon);
    const body = all.filter((f) => !inTail(f.row));
    const tail = all.filter((f) => inTail(f.row));
    const segments: SegmentFigures[] = [];
    const add = (kind: SegmentKind, value: string, rows: readonly Forecast[]) => {
      if (rows.length > 0) segments.push(figures(kind, value, rows, options));
    };
    add("all", "all (tail excluded)", body);
    for (const domain of [...new Set(body.map((f) => f.row.domain))].sort()) {
      add("domain", domain, body.filter((f) => f.row.domain === domain));
    }
    for (let b = 0; b + 1 < PRICE_EDGES.length; b++) {
      const [lo, hi] = [PRICE_EDGES[b], PRICE_EDGES[b + 1]];
      const last = b + 2 === PRICE_EDGES.length;
      add(
        "price",
        `price ${lo}–${hi}`,
        body.filter((f) => f.row.price >= lo && (f.row.price < hi || last)),
      );
    }
    for (const [value, rows] of liquidityBuckets(body, feature)) add("liquidity", value, rows);
    add("tail", `tail (price < ${TAIL} or > ${1 - TAIL})`, tail);
    const excluded = [
      ...(options.excluded ?? []),
      `${tail.length} near-certain-tail rows scored only in the tail line`,
    ];
    return { horizon, excluded, segments };
  });
}

function figures(
  kind: SegmentKind,
  value: string,
  rows: readonly Forecast[],
  options: EvaluationOptions,
): SegmentFigures {
  const labels = rows.map((f) => f.row.label);
  return {
    kind,
    value,
    rows: rows.length,
    events: new Set(rows.map((f) => f.row.eventId)).size,
    resolvedFrom: rows.reduce((m, f) => Math.min(m, f.row.resolvedAt), Infinity),
    resolvedUntil: rows.reduce((m, f) => Math.max(m, f.row.resolvedAt), -Infinity),
    model: scoreForecasts(rows.map((f) => f.probability), labels),
    market: scoreForecasts(rows.map((f) => f.row.price), labels),
    difference: brierDifferenceInterval(
      rows.map((f) => ({
        eventId: f.row.eventId,
        model: f.probability,
        market: f.row.price,
        label: f.row.label,
      })),
      { resamples: options.resamples ?? 1000, seed: options.seed ?? 1 },
    ),
  };
}

function liquidityBuckets(rows: readonly Forecast[], feature: string): [string, Forecast[]][] {
  const known = rows.filter((f) => Number.isFinite(f.row.features[feature]));
  const unknown = rows.filter((f) => !Number.isFinite(f.row.features[feature]));
  const out: [string, Forecast[]][] = [];
  if (known.length >= 3) {
    const sorted = known.map((f) => f.row.features[feature]).sort((a, b) => a - b);
    const c1 = sorted[Math.floor(sorted.length / 3)];
    const c2 = sorted[Math.floor((2 * sorted.length) / 3)];
    const v = (f: Forecast) => f.row.features[feature];
    out.push([`${feature} < ${c1.toFixed(2)}`, known.filter((f) => v(f) < c1)]);
    out.push([
      `${feature} ${c1.toFixed(2)}–${c2.toFixed(2)}`,
      known.filter((f) => v(f) >= c1 && v(f) < c2),
    ]);
    out.push([`${feature} ≥ ${c2.toFixed(2)}`, known.filter((f) => v(f) >= c2)]);
  }
  out.push([`${feature} unknown`, unknown]);
  return out.filter(([, r]) => r.length > 0);
}

/** The table as text: one block per horizon, one line per segment. */
export function formatEvaluation(evaluation: readonly HorizonEvaluation[]): string {
  const lines: string[] = [];
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const f4 = (x: number) => x.toFixed(4);
  for (const h of evaluation) {
    lines.push(`horizon t-${h.horizon}; excluded: ${h.excluded.join("; ")}`);
    lines.push(
      [
        "segment".padEnd(30),
        "rows".padStart(7),
        "events".padStart(7),
        "resolved".padEnd(23),
        "brier".padStart(7),
        "market".padStart(7),
        "diff [95% CI, events resampled]".padEnd(34),
        "logloss".padStart(7),
        "ece".padStart(7),
        "rel".padStart(7),
        "res".padStart(7),
        "unc".padStart(7),
        "within".padStart(7),
      ].join(" "),
    );
    for (const s of h.segments) {
      const d = s.difference;
      const verdict = d.high < 0 ? "model better" : d.low > 0 ? "market better" : "no difference";
      lines.push(
        [
          s.value.padEnd(30),
          String(s.rows).padStart(7),
          String(s.events).padStart(7),
          `${day(s.resolvedFrom)}..${day(s.resolvedUntil)}`.padEnd(23),
          f4(s.model.brier).padStart(7),
          f4(s.market.brier).padStart(7),
          `${sign(d.difference)} [${sign(d.low)}, ${sign(d.high)}] ${verdict}`.padEnd(34),
          f4(s.model.logLoss).padStart(7),
          f4(s.model.ece).padStart(7),
          f4(s.model.reliability).padStart(7),
          f4(s.model.resolution).padStart(7),
          f4(s.model.uncertainty).padStart(7),
          f4(s.model.remainder).padStart(7),
        ].join(" "),
      );
    }
  }
  lines.push(
    "brier/logloss/ece/rel/res/unc/within are the model's; log loss clipped at 1e-6; ECE and the Murphy terms over 10 equal-width bins; diff = Brier(model) − Brier(market), negative favours the model",
  );
  return lines.join("\n");
}

function sign(x: number): string {
  return (x >= 0 ? "+" : "") + x.toFixed(4);
}
