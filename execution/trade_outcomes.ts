/**
 * What came of each trade the executor was handed (issue 30; migration 0021): one
 * `trade_outcomes` row per scanner episode or model forecast, written when the trade is over,
 * so `pmcollect report --day` can count per channel what was seen, acted on, filled whole,
 * filled short and unwound, and set the P&L against the plans' edge, from the database alone
 * (the live ledger, or a paper run's schema). `outcomeOfTrade` and `outcomeOfForecast` turn the
 * executor's results into rows; `insertTradeOutcomes` writes them.
 *
 * @example
 * ```ts ignore
 * import { insertTradeOutcomes, outcomeOfTrade } from "./trade_outcomes.ts";
 * await insertTradeOutcomes(sql, [outcomeOfTrade(result, { subject: relation.key })]);
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { type Dec, formatDec, mulDec, ZERO } from "../edge/decimal.ts";
import type { ModelTradeResult, TradeOutcome, TradeResult } from "./executor.ts";
import type { BookView } from "./playbook.ts";

/** The channel name of a model-edge trade. */
export const MODEL_EDGE = "model_edge";

/** One row of `trade_outcomes`. */
export interface TradeOutcomeRow {
  /** Unix ms of the decision. */
  readonly at: number;
  readonly channel: string;
  readonly subject: string;
  readonly outcome: TradeOutcome;
  readonly reason: string;
  readonly plannedEdge: Dec;
  readonly pnl: Dec;
  readonly capital: Dec;
  readonly orders: number;
  readonly refused: number;
}

/** A plan's trade: its planned profit, the executor's P&L and the collateral its buys took. */
export function outcomeOfTrade(
  result: TradeResult,
  context: { readonly subject: string },
): TradeOutcomeRow {
  return {
    at: result.decision.at,
    channel: result.decision.channel,
    subject: context.subject,
    outcome: result.outcome,
    reason: result.decision.reason,
    plannedEdge: result.decision.planProfit,
    pnl: result.pnl,
    capital: result.legs.reduce((sum, l) => sum + l.notional + l.fees, ZERO),
    orders: result.orders,
    refused: result.refused,
  };
}

/**
 * A forecast's trade: its planned edge is the EV of what it meant to buy (q × shares − cost)
 * and its P&L the collateral out plus the shares bought marked at the best bid now (the
 * outcome is unknown until the market resolves).
 */
export function outcomeOfForecast(result: ModelTradeResult, books: BookView): TradeOutcomeRow {
  const d = result.decision;
  const leg = result.leg;
  const spent = leg.notional + leg.fees;
  const bid = books(leg.tokenId)?.bids[0]?.price ?? ZERO;
  const planned = d.order === null || d.evPerShare === null
    ? ZERO
    : mulDec(d.evPerShare, d.order.shares);
  const refusedBy = result.outcome === "declined" && d.action === "act"
    ? "; refused by the risk engine"
    : "";
  return {
    at: d.at,
    channel: MODEL_EDGE,
    subject: d.tokenId,
    outcome: result.outcome,
    reason: d.reason + refusedBy,
    plannedEdge: planned,
    pnl: leg.proceeds - spent + mulDec(leg.bought - leg.sold, bid),
    capital: spent,
    orders: result.orders,
    refused: result.refused,
  };
}

/** Writes the rows (one statement); returns how many. */
export async function insertTradeOutcomes(
  sql: Queryable,
  rows: readonly TradeOutcomeRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const text = (f: (r: TradeOutcomeRow) => Dec) => rows.map((r) => formatDec(f(r)));
  await sql.unsafe(
    `insert into trade_outcomes (at, channel, subject, outcome, reason, planned_edge, pnl,
       capital, orders, refused)
     select to_timestamp(a / 1000.0), c, s, o, r, e::numeric, p::numeric, k::numeric, n, x
     from unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
       $7::text[], $8::text[], $9::int[], $10::int[]) as t(a, c, s, o, r, e, p, k, n, x)`,
    [
      rows.map((r) => r.at),
      rows.map((r) => r.channel),
      rows.map((r) => r.subject),
      rows.map((r) => r.outcome),
      rows.map((r) => r.reason),
      text((r) => r.plannedEdge),
      text((r) => r.pnl),
      text((r) => r.capital),
      rows.map((r) => r.orders),
      rows.map((r) => r.refused),
    ],
  );
  return rows.length;
}
