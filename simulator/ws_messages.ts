/**
 * Wire builders for book snapshots and market-channel events, shared by the websocket and the
 * REST routes so both serve byte-identical books.
 *
 * @example
 * ```ts
 * import { restBook } from "./ws_messages.ts";
 * // restBook(market, book, 0) → { market, asset_id, timestamp, hash, bids, asks, ... }
 * ```
 */
import type { MarketBook } from "./book.ts";
import { counterHex } from "./_random.ts";
import { formatPrice, type SimMarket } from "./universe.ts";
import { feeScheduleAt } from "./structure.ts";

/** A JSON object sent on the market channel (always has `event_type`). */
export type WsMessage = Record<string, unknown> & { event_type: string };

/** 40-hex synthetic book hash; changes whenever the book changes. */
export function bookHash(market: SimMarket, book: MarketBook, outcome: 0 | 1): string {
  return counterHex(book.version * 2 + outcome, market.index + 1, 40);
}

/** REST `GET /book` object (2026-08 shape). */
export function restBook(
  market: SimMarket,
  book: MarketBook,
  outcome: 0 | 1,
): Record<string, unknown> {
  const view = book.view(outcome);
  return {
    market: market.conditionId,
    asset_id: market.tokenIds[outcome],
    timestamp: String(book.updatedAtMs),
    hash: bookHash(market, book, outcome),
    bids: view.bids,
    asks: view.asks,
    min_order_size: "5",
    tick_size: formatPrice(book.tickUnits),
    neg_risk: market.negRiskMarketId !== "",
    last_trade_price: book.lastTrade(outcome),
  };
}

/** Websocket `book` event (initial dump and post-trade snapshot). */
export function wsBook(market: SimMarket, book: MarketBook, outcome: 0 | 1): WsMessage {
  const view = book.view(outcome);
  return {
    event_type: "book",
    market: market.conditionId,
    asset_id: market.tokenIds[outcome],
    timestamp: String(book.updatedAtMs),
    hash: bookHash(market, book, outcome),
    bids: view.bids,
    asks: view.asks,
    tick_size: formatPrice(book.tickUnits),
    last_trade_price: book.lastTrade(outcome),
  };
}

/** One `price_changes[]` entry for a token after a Yes-side level change. */
export function priceChangeEntry(
  market: SimMarket,
  book: MarketBook,
  outcome: 0 | 1,
  level: { yesSide: "bid" | "ask"; priceUnits: number; size: string },
): Record<string, string> {
  const quote = book.quote(outcome);
  const mirrored = outcome === 1;
  const isBid = (level.yesSide === "bid") !== mirrored;
  return {
    asset_id: market.tokenIds[outcome],
    price: formatPrice(mirrored ? 10_000 - level.priceUnits : level.priceUnits),
    size: level.size,
    side: isBid ? "BUY" : "SELL",
    hash: bookHash(market, book, outcome),
    best_bid: quote.bestBid,
    best_ask: quote.bestAsk,
  };
}

/** `tick_size_change` for one token. */
export function tickSizeChange(
  market: SimMarket,
  outcome: 0 | 1,
  oldTick: number,
  newTick: number,
  nowMs: number,
): WsMessage {
  return {
    event_type: "tick_size_change",
    asset_id: market.tokenIds[outcome],
    market: market.conditionId,
    old_tick_size: formatPrice(oldTick),
    new_tick_size: formatPrice(newTick),
    timestamp: String(nowMs),
  };
}

/** `market_resolved` (custom feature). */
export function marketResolved(market: SimMarket, winner: 0 | 1, nowMs: number): WsMessage {
  return {
    event_type: "market_resolved",
    id: market.id,
    market: market.conditionId,
    assets_ids: [...market.tokenIds],
    winning_asset_id: market.tokenIds[winner],
    winning_outcome: winner === 0 ? "Yes" : "No",
    timestamp: String(nowMs),
    tags: ["simulated"],
  };
}

/** `new_market` (custom feature). */
export function newMarket(market: SimMarket, eventId: string, eventTitle: string, nowMs: number) {
  const fees = feeScheduleAt(market.meta, nowMs);
  return {
    event_type: "new_market",
    id: market.id,
    question: market.question,
    market: market.conditionId,
    slug: market.slug,
    description: market.meta.rules,
    assets_ids: [...market.tokenIds],
    outcomes: ["Yes", "No"],
    event_message: {
      id: eventId,
      ticker: `sim-event-${eventId}`,
      slug: `sim-event-${eventId}`,
      title: eventTitle,
      description: `Simulated event ${eventId}.`,
    },
    timestamp: String(nowMs),
    tags: ["simulated"],
    condition_id: market.conditionId,
    active: true,
    clob_token_ids: [...market.tokenIds],
    sports_market_type: market.meta.sports?.sportsMarketType ?? "",
    line: market.meta.sports?.line ?? "",
    game_start_time: market.meta.sports === null
      ? ""
      : new Date(market.meta.sports.gameStartMs).toISOString(),
    order_price_min_tick_size: formatPrice(market.tickUnits),
    group_item_title: market.groupItemTitle,
    fees_enabled: market.feesEnabled,
    taker_base_fee: market.feesEnabled ? "1000" : "0",
    ...(fees === null ? {} : {
      fee_schedule: {
        exponent: fees.exponent,
        rate: fees.rate,
        taker_only: String(fees.takerOnly),
        rebate_rate: fees.rebateRate,
      },
    }),
  } satisfies WsMessage;
}
