/**
 * Market-websocket message types and the hand-written readers for the high-rate kinds
 * (`book`, `price_change`, `last_trade_price`, `tick_size_change`, `best_bid_ask`).
 * Readers throw a `FieldError` naming the bad field; `parseWsFrame` turns it into a reject.
 *
 * @example
 * ```ts
 * import { readTrade } from "./ws_schema.ts";
 * const t = readTrade({
 *   market: "0x" + "ab".repeat(32), asset_id: "1", price: ".5", size: "2", side: "BUY",
 *   timestamp: "1724564136087",
 * }, 0);
 * t.price; // "0.5"
 * ```
 */
import type { ConditionId, DecimalString, EventId, MarketId, TokenId } from "./ids.ts";
import { type Book, parseBook } from "./clob_book.ts";
import {
  FieldError,
  isObj,
  must,
  type Obj,
  prefixField,
  readConditionId,
  readDecimal,
  readMs,
  readOptionalDecimal,
  readOptionalText,
  readSide,
  readTokenId,
} from "./_fast.ts";

/** Fields every market-websocket message carries. */
interface WsBase {
  market: ConditionId;
  /** Venue timestamp, unix ms. */
  timestamp: number;
  /** Local receive time, unix ms. */
  receivedAt: number;
}

/** A full book replacement for one token. */
export interface WsBookMessage {
  kind: "book";
  book: Book;
}

/** One level set by `price_change`: `size` is the new level total, "0" deletes it. */
export interface PriceLevelChange {
  tokenId: TokenId;
  price: DecimalString;
  size: DecimalString;
  /** BUY = bid side, SELL = ask side. */
  side: "BUY" | "SELL";
  hash: string | null;
  /** Top of book after the change; null when that side is empty or in the legacy forms. */
  bestBid: DecimalString | null;
  bestAsk: DecimalString | null;
}

/** `price_change`, batched (since 2025-09-15) or legacy single-level. */
export interface WsPriceChangeMessage extends WsBase {
  kind: "price_change";
  changes: PriceLevelChange[];
}

/** A public trade print (`last_trade_price`). There is no venue trade id. */
export interface TradeEvent extends WsBase {
  kind: "trade";
  tokenId: TokenId;
  price: DecimalString;
  size: DecimalString;
  /** Taker side. */
  side: "BUY" | "SELL";
  feeRateBps: DecimalString | null;
  /** Present since 2026-08. */
  transactionHash: string | null;
}

/** `tick_size_change`: the local book must be reseeded. */
export interface WsTickSizeChangeMessage extends WsBase {
  kind: "tick_size_change";
  tokenId: TokenId;
  oldTickSize: DecimalString;
  newTickSize: DecimalString;
}

/** `best_bid_ask` (custom feature). */
export interface WsBestBidAskMessage extends WsBase {
  kind: "best_bid_ask";
  tokenId: TokenId;
  bestBid: DecimalString | null;
  bestAsk: DecimalString | null;
  spread: DecimalString | null;
}

/** `new_market` (custom feature). */
export interface WsNewMarketMessage extends WsBase {
  kind: "new_market";
  marketId: MarketId;
  question: string | null;
  slug: string | null;
  tokenIds: TokenId[];
  outcomes: string[];
  eventId: EventId | null;
  tickSize: DecimalString | null;
  /** Rules text. */
  description: string | null;
  groupItemTitle: string | null;
  sportsMarketType: string | null;
  /** Sports line, signed decimal text. */
  line: string | null;
  gameStartTime: Date | null;
  feesEnabled: boolean | null;
  takerBaseFee: DecimalString | null;
  /** `fee_schedule` (strings on the wire), null when absent. */
  feeSchedule: {
    exponent: DecimalString | null;
    rate: DecimalString | null;
    takerOnly: boolean | null;
    rebateRate: DecimalString | null;
  } | null;
}

/** `market_resolved` (custom feature): resolution evidence. */
export interface WsMarketResolvedMessage extends WsBase {
  kind: "market_resolved";
  marketId: MarketId | null;
  tokenIds: TokenId[];
  winningTokenId: TokenId;
  winningOutcome: string | null;
}

/** Every market-websocket message, discriminated on `kind`. */
export type WsMessage =
  | WsBookMessage
  | WsPriceChangeMessage
  | TradeEvent
  | WsTickSizeChangeMessage
  | WsBestBidAskMessage
  | WsNewMarketMessage
  | WsMarketResolvedMessage;

/**
 * Best bid from the wire: the venue sends "0" for an empty bid side, which is no price.
 * Bids are never 0 and asks never 1 (prices lie strictly between), so this loses nothing.
 */
function readBestBid(v: unknown): DecimalString | null | undefined {
  const d = readOptionalDecimal(v);
  return d === "0" ? null : d;
}

/** Best ask from the wire: "1" means an empty ask side. */
function readBestAsk(v: unknown): DecimalString | null | undefined {
  const d = readOptionalDecimal(v);
  return d === "1" ? null : d;
}

/** One level; `parent` supplies `asset_id`/`hash` in the legacy forms (top-level fields). */
function readChange(o: unknown, parent: Obj | null): PriceLevelChange {
  if (!isObj(o)) throw new FieldError("$", o);
  const assetId = parent === null ? o.asset_id : parent.asset_id;
  const hash = parent === null ? o.hash : parent.hash;
  return {
    tokenId: must(readTokenId(assetId), "asset_id", assetId),
    price: must(readDecimal(o.price), "price", o.price),
    size: must(readDecimal(o.size), "size", o.size),
    side: must(readSide(o.side), "side", o.side),
    hash: must(readOptionalText(hash), "hash", hash),
    bestBid: must(readBestBid(o.best_bid), "best_bid", o.best_bid),
    bestAsk: must(readBestAsk(o.best_ask), "best_ask", o.best_ask),
  };
}

function readChanges(list: unknown[], key: string, parent: Obj | null): PriceLevelChange[] {
  const changes: PriceLevelChange[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      changes[i] = readChange(list[i], parent);
    } catch (err) {
      prefixField(err, `${key}[${i}]`);
    }
  }
  return changes;
}

/**
 * Reads `price_change` in any of its forms: batched `price_changes[]` (since 2025-09-15), or
 * the legacy ones still found in archives: `changes[]` under a top-level `asset_id`/`hash`
 * (the docs' migration guide), or one level at the top level.
 */
export function readPriceChange(o: Obj, receivedAt: number): WsPriceChangeMessage {
  let changes: PriceLevelChange[];
  if (Array.isArray(o.price_changes)) changes = readChanges(o.price_changes, "price_changes", null);
  else if (Array.isArray(o.changes)) changes = readChanges(o.changes, "changes", o);
  else changes = [readChange(o, null)];
  return {
    kind: "price_change",
    market: must(readConditionId(o.market), "market", o.market),
    timestamp: must(readMs(o.timestamp), "timestamp", o.timestamp),
    receivedAt,
    changes,
  };
}

/** Reads `last_trade_price`. */
export function readTrade(o: Obj, receivedAt: number): TradeEvent {
  return {
    kind: "trade",
    market: must(readConditionId(o.market), "market", o.market),
    tokenId: must(readTokenId(o.asset_id), "asset_id", o.asset_id),
    price: must(readDecimal(o.price), "price", o.price),
    size: must(readDecimal(o.size), "size", o.size),
    side: must(readSide(o.side), "side", o.side),
    feeRateBps: must(readOptionalDecimal(o.fee_rate_bps), "fee_rate_bps", o.fee_rate_bps),
    transactionHash: must(
      readOptionalText(o.transaction_hash),
      "transaction_hash",
      o.transaction_hash,
    ),
    timestamp: must(readMs(o.timestamp), "timestamp", o.timestamp),
    receivedAt,
  };
}

/** Reads a websocket `book`. */
export function readBook(o: Obj, receivedAt: number): WsBookMessage {
  return { kind: "book", book: parseBook(o, receivedAt) };
}

/** Reads `tick_size_change`. */
export function readTickSizeChange(o: Obj, receivedAt: number): WsTickSizeChangeMessage {
  return {
    kind: "tick_size_change",
    market: must(readConditionId(o.market), "market", o.market),
    tokenId: must(readTokenId(o.asset_id), "asset_id", o.asset_id),
    oldTickSize: must(readDecimal(o.old_tick_size), "old_tick_size", o.old_tick_size),
    newTickSize: must(readDecimal(o.new_tick_size), "new_tick_size", o.new_tick_size),
    timestamp: must(readMs(o.timestamp), "timestamp", o.timestamp),
    receivedAt,
  };
}

/** Reads `best_bid_ask`. */
export function readBestBidAsk(o: Obj, receivedAt: number): WsBestBidAskMessage {
  return {
    kind: "best_bid_ask",
    market: must(readConditionId(o.market), "market", o.market),
    tokenId: must(readTokenId(o.asset_id), "asset_id", o.asset_id),
    bestBid: must(readBestBid(o.best_bid), "best_bid", o.best_bid),
    bestAsk: must(readBestAsk(o.best_ask), "best_ask", o.best_ask),
    spread: must(readOptionalDecimal(o.spread), "spread", o.spread),
    timestamp: must(readMs(o.timestamp), "timestamp", o.timestamp),
    receivedAt,
  };
}
