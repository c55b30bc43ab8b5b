/**
 * Events, markets and tokens: the market universe, upserted in bulk from each Gamma walk.
 * `first_seen_at` is kept from the first insert; `updated_at` moves on every change.
 *
 * @example
 * ```ts
 * import { upsertMarkets } from "./catalog.ts";
 * await upsertMarkets(sql, rows);
 * ```
 */
import type { Queryable } from "./client.ts";
import { col, iso, lastByKey } from "./_columns.ts";

export interface EventRow {
  eventId: string;
  slug: string | null;
  title: string | null;
  negRisk: boolean;
  negRiskMarketId: string | null;
  active: boolean | null;
  closed: boolean | null;
  startDate: Date | null;
  endDate: Date | null;
}

export interface MarketRow {
  marketId: string;
  conditionId: string | null;
  questionId: string | null;
  eventId: string | null;
  slug: string | null;
  question: string | null;
  outcomes: string[];
  negRisk: boolean;
  negRiskMarketId: string | null;
  groupItemTitle: string | null;
  tickSize: string | null;
  minOrderSize: string | null;
  active: boolean | null;
  closed: boolean | null;
  archived: boolean | null;
  acceptingOrders: boolean | null;
  enableOrderBook: boolean | null;
  volume: string | null;
  liquidity: string | null;
  startDate: Date | null;
  endDate: Date | null;
  closedTime: Date | null;
}

export interface TokenRow {
  tokenId: string;
  conditionId: string | null;
  marketId: string;
  outcome: string | null;
  outcomeIndex: number;
}

/** Inserts or updates events; returns the number of rows written. */
export async function upsertEvents(sql: Queryable, batch: readonly EventRow[]): Promise<number> {
  if (batch.length === 0) return 0;
  const rows = lastByKey(batch, (r) => r.eventId);
  const result = await sql`
    insert into events (event_id, slug, title, neg_risk, neg_risk_market_id, active, closed,
                        start_date, end_date)
    select * from unnest(
      ${col(rows, (r) => r.eventId)}::text[], ${col(rows, (r) => r.slug)}::text[],
      ${col(rows, (r) => r.title)}::text[], ${col(rows, (r) => r.negRisk)}::boolean[],
      ${col(rows, (r) => r.negRiskMarketId)}::text[], ${col(rows, (r) => r.active)}::boolean[],
      ${col(rows, (r) => r.closed)}::boolean[], ${
    col(rows, (r) => iso(r.startDate))
  }::timestamptz[],
      ${col(rows, (r) => iso(r.endDate))}::timestamptz[])
    on conflict (event_id) do update set
      slug = excluded.slug, title = excluded.title, neg_risk = excluded.neg_risk,
      neg_risk_market_id = excluded.neg_risk_market_id, active = excluded.active,
      closed = excluded.closed, start_date = excluded.start_date, end_date = excluded.end_date,
      updated_at = now()
    where (events.slug, events.title, events.neg_risk, events.neg_risk_market_id, events.active,
           events.closed, events.start_date, events.end_date)
      is distinct from (excluded.slug, excluded.title, excluded.neg_risk,
           excluded.neg_risk_market_id, excluded.active, excluded.closed, excluded.start_date,
           excluded.end_date)`;
  return result.count;
}

/** Inserts or updates markets; unchanged rows are left alone (their updated_at stays). */
export async function upsertMarkets(sql: Queryable, batch: readonly MarketRow[]): Promise<number> {
  if (batch.length === 0) return 0;
  const rows = lastByKey(batch, (r) => r.marketId);
  const result = await sql`
    insert into markets (market_id, condition_id, question_id, event_id, slug, question, outcomes,
      neg_risk, neg_risk_market_id, group_item_title, tick_size, min_order_size, active, closed,
      archived, accepting_orders, enable_order_book, volume, liquidity, start_date, end_date,
      closed_time)
    select m.market_id, m.condition_id, m.question_id, m.event_id, m.slug, m.question,
      coalesce(array(select jsonb_array_elements_text(m.outcomes)), '{}'), m.neg_risk,
      m.neg_risk_market_id, m.group_item_title, m.tick_size, m.min_order_size, m.active, m.closed,
      m.archived, m.accepting_orders, m.enable_order_book, m.volume, m.liquidity, m.start_date,
      m.end_date, m.closed_time
    from unnest(
      ${col(rows, (r) => r.marketId)}::text[], ${col(rows, (r) => r.conditionId)}::text[],
      ${col(rows, (r) => r.questionId)}::text[], ${col(rows, (r) => r.eventId)}::text[],
      ${col(rows, (r) => r.slug)}::text[], ${col(rows, (r) => r.question)}::text[],
      ${col(rows, (r) => JSON.stringify(r.outcomes))}::jsonb[],
      ${col(rows, (r) => r.negRisk)}::boolean[], ${col(rows, (r) => r.negRiskMarketId)}::text[],
      ${col(rows, (r) => r.groupItemTitle)}::text[], ${col(rows, (r) => r.tickSize)}::numeric[],
      ${col(rows, (r) => r.minOrderSize)}::numeric[], ${col(rows, (r) => r.active)}::boolean[],
      ${col(rows, (r) => r.closed)}::boolean[], ${col(rows, (r) => r.archived)}::boolean[],
      ${col(rows, (r) => r.acceptingOrders)}::boolean[],
      ${col(rows, (r) => r.enableOrderBook)}::boolean[], ${col(rows, (r) => r.volume)}::numeric[],
      ${col(rows, (r) => r.liquidity)}::numeric[],
      ${col(rows, (r) => iso(r.startDate))}::timestamptz[],
      ${col(rows, (r) => iso(r.endDate))}::timestamptz[],
      ${col(rows, (r) => iso(r.closedTime))}::timestamptz[])
      as m(market_id, condition_id, question_id, event_id, slug, question, outcomes, neg_risk,
           neg_risk_market_id, group_item_title, tick_size, min_order_size, active, closed,
           archived, accepting_orders, enable_order_book, volume, liquidity, start_date,
           end_date, closed_time)
    on conflict (market_id) do update set
      condition_id = excluded.condition_id, question_id = excluded.question_id,
      event_id = excluded.event_id, slug = excluded.slug, question = excluded.question,
      outcomes = excluded.outcomes, neg_risk = excluded.neg_risk,
      neg_risk_market_id = excluded.neg_risk_market_id,
      group_item_title = excluded.group_item_title, tick_size = excluded.tick_size,
      min_order_size = excluded.min_order_size, active = excluded.active,
      closed = excluded.closed, archived = excluded.archived,
      accepting_orders = excluded.accepting_orders,
      enable_order_book = excluded.enable_order_book, volume = excluded.volume,
      liquidity = excluded.liquidity, start_date = excluded.start_date,
      end_date = excluded.end_date, closed_time = excluded.closed_time, updated_at = now()
    where (markets.condition_id, markets.active, markets.closed, markets.archived,
           markets.accepting_orders, markets.tick_size, markets.volume, markets.liquidity,
           markets.end_date, markets.closed_time, markets.question, markets.outcomes,
           markets.event_id)
      is distinct from (excluded.condition_id, excluded.active, excluded.closed,
           excluded.archived, excluded.accepting_orders, excluded.tick_size, excluded.volume,
           excluded.liquidity, excluded.end_date, excluded.closed_time, excluded.question,
           excluded.outcomes, excluded.event_id)`;
  return result.count;
}

/** Inserts new tokens and refreshes changed ones. */
export async function upsertTokens(sql: Queryable, batch: readonly TokenRow[]): Promise<number> {
  if (batch.length === 0) return 0;
  const rows = lastByKey(batch, (r) => r.tokenId);
  const result = await sql`
    insert into tokens (token_id, condition_id, market_id, outcome, outcome_index)
    select * from unnest(
      ${col(rows, (r) => r.tokenId)}::text[], ${col(rows, (r) => r.conditionId)}::text[],
      ${col(rows, (r) => r.marketId)}::text[], ${col(rows, (r) => r.outcome)}::text[],
      ${col(rows, (r) => r.outcomeIndex)}::smallint[])
    on conflict (token_id) do update set
      condition_id = excluded.condition_id, market_id = excluded.market_id,
      outcome = excluded.outcome, outcome_index = excluded.outcome_index, updated_at = now()
    where (tokens.condition_id, tokens.market_id, tokens.outcome, tokens.outcome_index)
      is distinct from (excluded.condition_id, excluded.market_id, excluded.outcome,
                        excluded.outcome_index)`;
  return result.count;
}

/** Token ids of markets that are active and not closed, in a stable order. */
export async function listActiveTokenIds(sql: Queryable): Promise<string[]> {
  const rows = await sql<{ token_id: string }[]>`
    select t.token_id from tokens t join markets m using (market_id)
    where m.active and not m.closed order by t.token_id`;
  return rows.map((r) => r.token_id);
}
