/**
 * `forecastsAt`: the forecasts of some markets at instant t (issue 28), read the way everything
 * else reads market state. Per market:
 *
 * 1. Tradability, books and fee from `tradabilityAt` (tradability/at.ts, a fixed number of
 *    set-based queries for the whole batch): a market it calls
 *    closed at t gets no forecast (its reason is returned); the asks are the books it returns
 *    (stream, else a REST snapshot within `maxRestAgeMs`).
 * 2. Features from the dataset's own feature code (`_dataset_build.ts`, `postgresSource`), as
 *    stored before t by the same rules as training rows: the market is handed to the build as
 *    a candidate whose end is t + h, so its row's instant is exactly t. h is the stored horizon
 *    nearest its time to end (`nearestHorizon`). The outcome is not known, and not read: the
 *    row's label is a placeholder no forecast uses. h is chosen per event, from its soonest
 *    end, so a neg-risk partition shares one. A market with no price stored before t
 *    gets no forecast ("no price before the instant"). Unless the model reads features (a
 *    `features` model: `readsFeatures`), the build reads only the price, the neg-risk group
 *    and the metadata, which is all a calibration map or the baseline uses (the build's `price`
 *    reads: one price probe per market instead of eight, no trades, no book). With a
 *    one-horizon model h is that horizon for every market, so the binary markets' features are
 *    built while step 1 reads, and the rows of markets it closes are dropped. Markets and
 *    skipped come back in market id order.
 * 3. The probability from the stored model (`predictDeployable`: its domain × horizon cell, the
 *    tail at its price, complete neg-risk partitions made coherent), or, with no stored model,
 *    the market price itself (the baseline; `modelVersion` null, and the caller says so).
 * 4. The values per token (`forecast.ts`): EV after fee, capped Kelly, interval.
 *
 * @example
 * ```ts ignore
 * import { forecastsAt } from "./forecast_at.ts";
 * const { markets } = await forecastsAt(sql, ["500001"], { at: new Date(), model: undefined });
 * markets[0]?.tokens[0]?.evPerShare;
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { type MarketTradability, tradabilityAt } from "../tradability/at.ts";
import { buildFromSource, type DatasetReads, type ParsedHorizon } from "./_dataset_build.ts";
import type { Candidate } from "./_dataset_features.ts";
import { postgresSource } from "./dataset.ts";
import type { DatasetRow } from "./dataset_row.ts";
import { type DeployableModel, predictDeployable, readsFeatures } from "./deployable.ts";
import type { StoredModel } from "./store.ts";
import type { HorizonEvaluation } from "./evaluate.ts";
import { horizonMs } from "./_horizon.ts";
import {
  type FeeRate,
  forecastTokens,
  nearestHorizon,
  type TokenForecast,
  wilsonInterval,
} from "./forecast.ts";
import { parseFee } from "../edge/fees.ts";
import { ONE, parseDec, toNumber } from "../edge/decimal.ts";

/** The horizons forecast at when no model is stored (the model command's defaults). */
export const BASELINE_HORIZONS = ["1h", "24h", "7d"] as const;
/** The oldest REST book that stands in for an uncovered stream (as `edge`'s default). */
export const DEFAULT_MAX_REST_AGE_MS = 360_000;

export interface ForecastOptions {
  readonly at: Date;
  /** The stored model to apply; undefined: the market baseline. */
  readonly model: StoredModel | undefined;
  readonly maxRestAgeMs?: number;
  readonly signal?: AbortSignal;
}

/** One market's forecast at the instant. */
export interface MarketForecast {
  readonly marketId: string;
  readonly eventId: string;
  readonly horizon: string;
  readonly modelVersion: number | null;
  readonly domain: string;
  /** YES then NO. */
  readonly tokens: readonly [TokenForecast, TokenForecast];
  /** Where each book came from (tradabilityAt's source), YES then NO. */
  readonly books: readonly [string, string];
}

export interface ForecastsAt {
  readonly at: Date;
  readonly modelVersion: number | null;
  readonly markets: MarketForecast[];
  /** Markets given that got no forecast, with the reason. */
  readonly skipped: { readonly marketId: string; readonly reason: string }[];
}

interface LiveMarket {
  market_id: string;
  event_id: string;
  group_key: string | null;
  category: string | null;
  yes_token: string | null;
  no_token: string | null;
  tokens: number;
}

/** The forecasts of `marketIds` at `options.at` (unknown ids are skipped as "unknown market"). */
export async function forecastsAt(
  sql: Queryable,
  marketIds: readonly string[],
  options: ForecastOptions,
): Promise<ForecastsAt> {
  const at = options.at.getTime();
  const model = options.model;
  const skipped: { marketId: string; reason: string }[] = [];
  const live = await sql.unsafe<LiveMarket[]>(
    `select m.market_id, coalesce(m.event_id, '') as event_id, m.neg_risk_market_id as group_key,
       nullif(lower(m.category), '') as category,
       (select count(*)::int from tokens t where t.market_id = m.market_id) as tokens,
       (select token_id from tokens t where t.market_id = m.market_id and t.outcome_index = 0
          limit 1) as yes_token,
       (select token_id from tokens t where t.market_id = m.market_id and t.outcome_index = 1
          limit 1) as no_token
     from markets m where m.market_id = any($1::text[]) order by m.market_id collate "C"`,
    [[...marketIds]],
  );
  const horizons: ParsedHorizon[] = (model?.horizons ?? BASELINE_HORIZONS)
    .map((label) => ({ label, ms: horizonMs(label) }));
  // A calibration map reads the price, the group and the metadata: the build reads no more.
  const reads = model !== undefined && readsFeatures(model.params as DeployableModel)
    ? "all"
    : "price";
  const build = (horizon: ParsedHorizon, markets: readonly LiveMarket[]) =>
    featureRows(sql, markets.map((m) => candidateOf(m, horizon, at)), horizon, {
      reads,
      signal: options.signal,
    });
  // With one horizon every market gets it, whatever its end: the binary markets' features are
  // built while their tradability is read (the rows of markets it closes are dropped).
  const only = horizons.length === 1 ? horizons[0]! : null;
  const [read, early] = await Promise.allSettled([
    tradabilityAt(sql, marketIds, {
      at: options.at,
      maxRestAgeMs: options.maxRestAgeMs ?? DEFAULT_MAX_REST_AGE_MS,
    }),
    only === null ? Promise.resolve(null) : build(only, live.filter(isBinary)),
  ]);
  if (read.status === "rejected") throw read.reason;
  if (early.status === "rejected") throw early.reason;
  const states = read.value;
  const known = new Set(live.map((m) => m.market_id));
  for (const id of marketIds) {
    if (!known.has(id)) skipped.push({ marketId: id, reason: "unknown market" });
  }
  const forecastable: { m: LiveMarket; msToEnd: number | null }[] = [];
  for (const m of live) {
    const state = states.get(m.market_id);
    if (state === undefined || !state.open) {
      skipped.push({
        marketId: m.market_id,
        reason: `not tradable: ${state?.reason ?? "unknown"}`,
      });
      continue;
    }
    if (!isBinary(m)) {
      skipped.push({ marketId: m.market_id, reason: "not binary" });
      continue;
    }
    const end = state.metadata?.endDate ?? state.endDate?.toISOString() ?? null;
    const endMs = end === null ? NaN : Date.parse(end);
    forecastable.push({ m, msToEnd: Number.isNaN(endMs) ? null : endMs - at });
  }
  // One horizon per event, from its soonest end: a neg-risk partition is made coherent only
  // when its members share one.
  const eventEnd = new Map<string, number | null>();
  for (const { m, msToEnd } of forecastable) {
    const key = m.event_id === "" ? `\u0000${m.market_id}` : m.event_id;
    const seen = eventEnd.get(key);
    eventEnd.set(key, seen == null ? msToEnd : msToEnd === null ? seen : Math.min(seen, msToEnd));
  }
  const byHorizon = new Map<string, { horizon: ParsedHorizon; markets: LiveMarket[] }>();
  for (const { m } of forecastable) {
    const key = m.event_id === "" ? `\u0000${m.market_id}` : m.event_id;
    const horizon = nearestHorizon(horizons, eventEnd.get(key) ?? null);
    const group = byHorizon.get(horizon.label) ?? { horizon, markets: [] };
    group.markets.push(m);
    byHorizon.set(horizon.label, group);
  }
  const rows: DatasetRow[] = [];
  for (const { horizon, markets } of byHorizon.values()) {
    const wanted = new Set(markets.map((m) => m.market_id));
    const built = early.value ?? await build(horizon, markets);
    const priced = new Set<string>();
    for (const row of built) {
      if (!wanted.has(row.marketId)) continue;
      priced.add(row.marketId);
      rows.push(row);
    }
    for (const id of wanted) {
      if (!priced.has(id)) skipped.push({ marketId: id, reason: "no price before the instant" });
    }
  }
  const probabilities = model === undefined
    ? rows.map((r) => r.price)
    : predictDeployable(model.params as DeployableModel, rows);
  const bins = model === undefined ? null : binsOf(model);
  const markets = rows.map((row, i): MarketForecast => {
    const state = states.get(row.marketId)!;
    const p = probabilities[i]!;
    const interval = bins === null
      ? bookRange(state, row.price)
      : modelInterval(bins, row.horizon, p);
    const yesAsk = bestAsk(state.yes);
    const ownNoAsk = bestAsk(state.no);
    const yesBid = bestBid(state.yes);
    const noAsk = ownNoAsk ?? (yesBid === null ? null : mirrorPrice(state.yes!.book!.bids[0]![0]));
    return {
      marketId: row.marketId,
      eventId: row.eventId,
      horizon: row.horizon,
      modelVersion: model?.version ?? null,
      domain: row.domain,
      tokens: forecastTokens({
        marketId: row.marketId,
        yesTokenId: state.yesTokenId!,
        noTokenId: state.noTokenId!,
        price: row.price,
        probability: p,
        low: interval?.low ?? null,
        high: interval?.high ?? null,
        yesAsk,
        noAsk,
        noAskMirrored: ownNoAsk === null && noAsk !== null,
        fee: feeRateOf(state),
      }),
      books: [state.yes?.source ?? "none", state.no?.source ?? "none"],
    };
  });
  const order = (a: { marketId: string }, b: { marketId: string }) =>
    a.marketId < b.marketId ? -1 : a.marketId > b.marketId ? 1 : 0;
  return {
    at: options.at,
    modelVersion: model?.version ?? null,
    markets: markets.sort(order),
    skipped: skipped.sort(order),
  };
}

const NO_EXCLUSIONS = { voided: 0, notBinary: 0, unknownWinner: 0 };

function isBinary(m: LiveMarket): boolean {
  return m.tokens === 2 && m.yes_token !== null && m.no_token !== null;
}

/** The market as a build candidate whose end is t + h, so that its row's instant is t. */
function candidateOf(m: LiveMarket, horizon: ParsedHorizon, at: number): Candidate {
  return {
    marketId: m.market_id,
    eventId: m.event_id,
    yesToken: m.yes_token!,
    noToken: m.no_token!,
    groupKey: m.group_key,
    category: m.category,
    // Not known at t and not read: the build wants a resolution and a label, no forecast uses
    // them.
    resolvedAt: at + horizon.ms,
    endAt: at + horizon.ms,
    label: 0,
  };
}

/** The dataset's rows of `candidates` at one horizon (`buildFromSource` on PostgreSQL). */
async function featureRows(
  sql: Queryable,
  candidates: readonly Candidate[],
  horizon: ParsedHorizon,
  options: { reads: DatasetReads; signal: AbortSignal | undefined },
): Promise<DatasetRow[]> {
  if (candidates.length === 0) return [];
  const build = await buildFromSource(
    {
      ...postgresSource(sql),
      candidates: () => Promise.resolve({ candidates, excluded: NO_EXCLUSIONS }),
    },
    // Two lookup batches at least, so that both of the build's workers run.
    { horizons: [horizon], ...options, batchRows: buildBatchRows(candidates.length) },
  );
  return build.rows;
}

/** The build's default batch (1,000), or half the candidates when that leaves a worker idle. */
function buildBatchRows(candidates: number): number {
  return Math.max(1, Math.min(1_000, Math.ceil(candidates / 2)));
}

/** The fee schedule in force as numbers; null when unknown. */
function feeRateOf(state: MarketTradability): FeeRate | null {
  const parsed = parseFee(state.fee);
  return parsed === null ? null : { rate: toNumber(parsed.rate), exponent: parsed.exponent };
}

function bestAsk(book: MarketTradability["yes"]): number | null {
  const level = book?.book?.asks[0];
  return level === undefined ? null : Number(level[0]);
}

function bestBid(book: MarketTradability["yes"]): number | null {
  const level = book?.book?.bids[0];
  return level === undefined ? null : Number(level[0]);
}

/** 1 − a price, exactly (a mirrored 0.59 is 0.41, not 0.41000000000000003). */
function mirrorPrice(text: string): number {
  return toNumber(ONE - parseDec(text));
}

/**
 * The baseline's interval: the YES book's best bid to best ask, widened to take in the price
 * (stored up to a minute and more before the book, it can lie outside it).
 */
function bookRange(
  state: MarketTradability,
  price: number,
): { low: number; high: number } | null {
  const bid = bestBid(state.yes), ask = bestAsk(state.yes);
  if (bid === null || ask === null || bid > ask) return null;
  return { low: Math.min(bid, price), high: Math.max(ask, price) };
}

/** Per horizon, the out-of-sample rows in each equal-width probability bin. */
type BinCounts = Map<string, number[]>;

/** The walk-forward bin counts stored with the model (every line: the body and the tail). */
export function binsOf(model: StoredModel): BinCounts {
  const out: BinCounts = new Map();
  const evaluation = (model.metrics as { walkForward?: HorizonEvaluation[] }).walkForward ?? [];
  for (const horizon of evaluation) {
    for (const segment of horizon.segments) {
      if (segment.kind !== "all" && segment.kind !== "tail") continue;
      const counts = out.get(horizon.horizon) ?? segment.model.bins.map(() => 0);
      segment.model.bins.forEach((b, k) => (counts[k] = (counts[k] ?? 0) + b.n));
      out.set(horizon.horizon, counts);
    }
  }
  return out;
}

function modelInterval(bins: BinCounts, horizon: string, p: number) {
  const counts = bins.get(horizon);
  if (counts === undefined || counts.length === 0) return null;
  const k = Math.min(counts.length - 1, Math.floor(p * counts.length));
  return wilsonInterval(p, counts[k]!);
}
