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

/** The EV threshold can never be below the risk engine's minimum edge (a share). */
export function withRiskMinEdge(limits: ModelLimits, riskMinEdge: Dec): ModelLimits {
  return limits.minEv >= riskMinEdge ? limits : { ...limits, minEv: riskMinEdge };
}
