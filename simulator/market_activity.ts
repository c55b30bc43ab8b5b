/**
 * Random market activity on one book: quote changes and trades at book prices. Each function
 * mutates the book and returns the market-channel messages describing exactly that change.
 *
 * @example
 * ```ts
 * import { randomQuoteChange } from "./market_activity.ts";
 * // const messages = randomQuoteChange({ market, book, random, trades, nowMs });
 * ```
 */
import { formatSize, type MarketBook, randomSize, SIZE_SCALE, type YesSide } from "./book.ts";
import { counterHex, type Random } from "./_random.ts";
import type { TradeLog } from "./trade_log.ts";
import { formatPrice, PRICE_SCALE, type SimMarket } from "./universe.ts";
import { priceChangeEntry, wsBook, type WsMessage } from "./ws_messages.ts";

/** Everything an activity step needs. */
export interface ActivityContext {
  market: SimMarket;
  book: MarketBook;
  random: Random;
  trades: TradeLog;
  nowMs: number;
}

/** A changed Yes-side level. */
export interface LevelChange {
  yesSide: YesSide;
  priceUnits: number;
}

const MAX_LEVELS = 12;
/** Transaction hashes are a fixed 48-hex prefix plus the trade sequence: unique and cheap. */
const TX_PREFIX = `0x${counterHex(1, 0x5eed, 48)}`;

/** Adds, resizes or removes one resting level (plus trimming), as one `price_change`. */
export function randomQuoteChange(ctx: ActivityContext): WsMessage[] {
  const { book, random: r } = ctx;
  const side: YesSide = r.chance(0.5) ? "bid" : "ask";
  const map = side === "bid" ? book.bids : book.asks;
  const changes: LevelChange[] = [];
  const roll = r.next();
  if (roll < 0.4 && map.size > 0) {
    const price = r.pick([...map.keys()]);
    book.set(side, price, randomSize(r));
    changes.push({ yesSide: side, priceUnits: price });
  } else if (roll < 0.6 && map.size > 2) {
    const price = r.pick([...map.keys()]);
    book.set(side, price, 0);
    changes.push({ yesSide: side, priceUnits: price });
  } else {
    const price = newLevelPrice(book, side, r);
    if (price !== null) {
      book.set(side, price, randomSize(r));
      changes.push({ yesSide: side, priceUnits: price });
    }
  }
  if (map.size > MAX_LEVELS) {
    const worst = side === "bid" ? Math.min(...map.keys()) : Math.max(...map.keys());
    book.set(side, worst, 0);
    changes.push({ yesSide: side, priceUnits: worst });
  }
  if (changes.length === 0) return [];
  book.touch(ctx.nowMs);
  return [priceChange(ctx, changes)];
}

/**
 * A taker trade against the best level of a random side; emits `last_trade_price` for the
 * traded token, the `price_change` for the consumed level and sometimes fresh `book`s.
 */
export function randomTrade(ctx: ActivityContext): WsMessage[] {
  const { market, book, random: r, nowMs } = ctx;
  const outcome: 0 | 1 = r.chance(0.5) ? 0 : 1;
  const takerSide = r.chance(0.5) ? "BUY" : "SELL";
  const hitsYesAsk = (outcome === 0) === (takerSide === "BUY");
  const yesSide: YesSide = hitsYesAsk ? "ask" : "bid";
  const level = hitsYesAsk ? book.bestAsk() : book.bestBid();
  if (level === null) return randomQuoteChange(ctx);
  const map = hitsYesAsk ? book.asks : book.bids;
  const resting = map.get(level) ?? 0;
  const fill = Math.min(resting, Math.round((1 + r.next() ** 2 * 300) * SIZE_SCALE));
  book.own?.consumed(yesSide, level, fill, { outcome, side: takerSide });
  book.set(yesSide, level, resting - fill);
  const changes: LevelChange[] = [{ yesSide, priceUnits: level }];
  if (map.size < 2) {
    const price = newLevelPrice(book, yesSide, r, true);
    if (price !== null) {
      book.set(yesSide, price, randomSize(r));
      changes.push({ yesSide, priceUnits: price });
    }
  }
  book.lastTradeUnits = level;
  market.priceUnits = level;
  book.touch(nowMs);
  const trade = recordTrade(ctx, outcome, level, fill, takerSide);
  const out: WsMessage[] = [priceChange(ctx, changes), trade];
  if (r.chance(0.25)) out.push(wsBook(market, book, 0), wsBook(market, book, 1));
  return out;
}

/** The transaction hash of the trade with sequence `seq` (unique and cheap). */
export function transactionHashOf(seq: number): string {
  return TX_PREFIX + seq.toString(16).padStart(16, "0");
}

/** Records a trade in the log and returns its `last_trade_price` message. */
export function recordTrade(
  ctx: ActivityContext,
  outcome: 0 | 1,
  yesPriceUnits: number,
  sizeHundredths: number,
  side: "BUY" | "SELL",
): WsMessage {
  const { market, trades, nowMs } = ctx;
  const seq = trades.nextSeq();
  const price = formatPrice(outcome === 0 ? yesPriceUnits : PRICE_SCALE - yesPriceUnits);
  const size = formatSize(Math.max(1, sizeHundredths));
  const transactionHash = transactionHashOf(seq);
  trades.record({
    seq,
    conditionId: market.conditionId,
    assetId: market.tokenIds[outcome],
    outcomeIndex: outcome,
    price,
    size,
    side,
    timestampMs: nowMs,
    transactionHash,
  });
  return {
    event_type: "last_trade_price",
    asset_id: market.tokenIds[outcome],
    market: market.conditionId,
    price,
    size,
    side,
    fee_rate_bps: "0",
    timestamp: String(nowMs),
    transaction_hash: transactionHash,
  };
}

/** One `price_change` carrying the current size of each changed level, for both tokens. */
export function priceChange(ctx: ActivityContext, changes: LevelChange[]): WsMessage {
  const { market, book } = ctx;
  const entries = [];
  for (const change of changes) {
    const map = change.yesSide === "bid" ? book.bids : book.asks;
    const size = formatSize(map.get(change.priceUnits) ?? 0);
    const level = { ...change, size };
    entries.push(priceChangeEntry(market, book, 0, level));
    entries.push(priceChangeEntry(market, book, 1, level));
  }
  return {
    event_type: "price_change",
    market: market.conditionId,
    price_changes: entries,
    timestamp: String(ctx.nowMs),
  };
}

/** A free price for a new level on `side` that does not cross the other side. */
function newLevelPrice(book: MarketBook, side: YesSide, r: Random, behind = false): number | null {
  const t = book.tickUnits;
  const bid = book.bestBid();
  const ask = book.bestAsk();
  const offset = behind ? r.range(1, 4) : r.range(-1, 5);
  let price: number;
  if (side === "bid") {
    const anchor = bid ?? (ask ?? book.lastTradeUnits ?? PRICE_SCALE / 2) - t;
    price = anchor - offset * t;
    if (ask !== null && price >= ask) price = ask - t;
  } else {
    const anchor = ask ?? (bid ?? book.lastTradeUnits ?? PRICE_SCALE / 2) + t;
    price = anchor + offset * t;
    if (bid !== null && price <= bid) price = bid + t;
  }
  price = Math.round(price / t) * t;
  if (price < t || price > PRICE_SCALE - t) return null;
  const map = side === "bid" ? book.bids : book.asks;
  return map.has(price) ? null : price;
}
