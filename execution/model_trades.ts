/**
 * Model forecasts to orders (issue 30): a batch of forecasts made at one instant is handed to
 * the executor's model-edge playbook (`Executor.tradeForecast`, `model_playbook.ts`) all at
 * once, every one decided on the books as they are and against the same equity, read from the
 * ledger just before (`ledgerEquity`: cash + positions marked at their best bid, at cost
 * without one). Orders go through the risk engine one by one as they are decided, so the batch
 * together stays within every limit. Used by live paper (the forecasts task's batches) and by
 * `pmcollect paper` (the stored forecasts of the replayed window).
 *
 * A market is tradable only if the scanner follows it (its book is the one the paper broker
 * fills on) and it is not closed at the instant (`ScanMarket.closedAt`).
 *
 * @example
 * ```ts ignore
 * import { ledgerEquity, tradeForecasts } from "./model_trades.ts";
 * const equity = await ledgerEquity(ledger.sql, books);
 * const results = await tradeForecasts(forecasts, { executor, set, books, equity, limits, now });
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { type Dec, mulDec, parseDec } from "../edge/decimal.ts";
import type { ForecastsAt } from "../models/forecast_at.ts";
import type { Config } from "../runtime/config.ts";
import type { RelationSet } from "../scanner/relation_set.ts";
import type { Executor, ModelTradeResult } from "./executor.ts";
import type { ModelForecast, ModelLimits } from "./model_playbook.ts";
import type { BookView } from "./playbook.ts";

/** Cash + every position at its best bid (at its cost basis when it has none). */
export async function ledgerEquity(sql: Queryable, books: BookView): Promise<Dec> {
  const [row] = await sql<{ cash: string }[]>`
    select coalesce(sum(amount), 0)::text as cash from cash`;
  const held = await sql<{ token_id: string; size: string; cost: string }[]>`
    select token_id, size::text, cost::text from positions where size <> 0`;
  let equity = parseDec(row!.cash);
  for (const h of held) {
    const bid = books(h.token_id)?.bids[0]?.price;
    equity += bid === undefined ? parseDec(h.cost) : mulDec(parseDec(h.size), bid);
  }
  return equity;
}

/**
 * The stored forecasts (`forecasts` table) of `tokenIds` made by a stored model in
 * [since, until), oldest first: what `pmcollect paper` replays. Baseline rows (no model) are
 * left out: the playbook would decline every one.
 */
export async function listStoredForecasts(
  sql: Queryable,
  options: { readonly since: Date; readonly until: Date; readonly tokenIds: readonly string[] },
): Promise<ModelForecast[]> {
  const rows = await sql<
    {
      market_id: string;
      token_id: string;
      outcome_index: number;
      probability: number;
      instant: Date;
      model_version: string;
    }[]
  >`
    select market_id, token_id, outcome_index, probability, instant, model_version::text
    from forecasts
    where instant >= ${options.since} and instant < ${options.until}
      and model_version is not null and token_id = any(${[...options.tokenIds]})
    order by instant, token_id`;
  return rows.map((r) => ({
    marketId: r.market_id,
    tokenId: r.token_id,
    outcomeIndex: r.outcome_index === 1 ? 1 : 0,
    probability: r.probability,
    instant: r.instant.getTime(),
    modelVersion: Number(r.model_version),
  }));
}

/** Both tokens of every market forecast, as the model playbook reads them. */
export function modelForecastsOf(forecasts: ForecastsAt): ModelForecast[] {
  const instant = forecasts.at.getTime();
  return forecasts.markets.flatMap((m) =>
    m.tokens.map((t) => ({
      marketId: m.marketId,
      tokenId: t.tokenId,
      outcomeIndex: t.outcomeIndex,
      probability: t.probability,
      instant,
      modelVersion: m.modelVersion,
    }))
  );
}

export interface ForecastTradeDeps {
  readonly executor: Executor;
  /** The scanner's relations: the markets whose books are followed. */
  readonly set: RelationSet;
  readonly equity: Dec;
  readonly limits: ModelLimits;
  readonly now: () => number;
}

/** Hands every forecast to the executor at once; resolves when every trade is over. */
export function tradeForecasts(
  forecasts: readonly ModelForecast[],
  deps: ForecastTradeDeps,
): Promise<ModelTradeResult[]> {
  const at = deps.now();
  return Promise.all(forecasts.map((forecast) => {
    const market = deps.set.marketOf(forecast.tokenId);
    const group = market === undefined
      ? undefined
      : deps.set.relationsOf(market.yesTokenId).find((r) => r.kind === "group");
    const closedAt = market?.closedAt ?? null;
    const notTradable = market === undefined
      ? "the scanner follows no book of this market"
      : closedAt !== null && at >= closedAt
      ? `market closed at ${new Date(closedAt).toISOString()}`
      : null;
    return deps.executor.tradeForecast(forecast, {
      equity: deps.equity,
      limits: deps.limits,
      notTradable,
      conditionId: market?.conditionId ?? forecast.marketId,
      groupId: group?.key ?? null,
    });
  }));
}

/** The model playbook's limits from the configuration (the risk engine's band, notional, book age). */
export function modelLimits(config: Pick<Config, "executor" | "risk">): ModelLimits {
  const m = config.executor.model;
  return withRiskMinEdge({
    minEv: parseDec(m.minEv),
    kellyMultiplier: parseDec(m.kelly),
    kellyCap: parseDec(m.kellyCap),
    maxBookAgeMs: config.risk.maxBookAgeMs,
    maxForecastAgeMs: MAX_FORECAST_AGE_MS,
    priceBand: parseDec(config.risk.priceBand),
    maxOrderNotional: parseDec(config.risk.maxOrderNotional),
  }, parseDec(config.risk.minEdge));
}

/** A forecast older than this is not traded on (a pass of the forecasts task takes minutes). */
export const MAX_FORECAST_AGE_MS = 600_000;

/** The EV threshold can never be below the risk engine's minimum edge (a share). */
export function withRiskMinEdge(limits: ModelLimits, riskMinEdge: Dec): ModelLimits {
  return limits.minEv >= riskMinEdge ? limits : { ...limits, minEv: riskMinEdge };
}
