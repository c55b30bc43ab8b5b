/**
 * Local books kept from the market websocket, reduced to best bid/ask changes for `quotes`.
 * `book` replaces a token's book and seeds it; `price_change` sets a level's size ("0"
 * deletes) only once seeded (until then its `best_bid`/`best_ask` are trusted as-is);
 * `tick_size_change` and a (re)subscribe unseed the token until its next `book`. `drain()`
 * returns at most one row per token per call, only for tokens whose top of book changed, so
 * calling it every `quotesIntervalMs` bounds the rate.
 *
 * Memory (100,000 books are normal): only the top of book is stored, so a side is just its
 * level prices (sizes only tell whether a level exists), kept as a sorted array with the best
 * price last. A price is held as a number when `String(Number(price))` gives the exact text
 * back (every tick price does), otherwise as its text; the best bid/ask written out are
 * therefore always the exact venue decimals.
 *
 * @example
 * ```ts
 * import { TopOfBook } from "./_top_of_book.ts";
 * const tob = new TopOfBook();
 * // tob.apply(message) for each websocket message; every interval:
 * const rows = tob.drain(); // QuoteRow[]
 * ```
 */
import type { QuoteRow } from "../db/trades.ts";
import { compareDecimal } from "../polymarket/_decimal.ts";
import type { DecimalString } from "../polymarket/ids.ts";
import type { WsMessage } from "../polymarket/ws_schema.ts";

/** A level price: a number when that round-trips to the exact text, else the text. */
type Level = number | DecimalString;

interface TokenBook {
  seeded: boolean;
  /** Bid prices with a level, ascending (best last). */
  bids: Level[];
  /** Ask prices with a level, descending (best last). */
  asks: Level[];
  bestBid: Level | null;
  bestAsk: Level | null;
  /** Venue time of the latest change to the top. */
  changedAt: number;
  /** Top of book last returned by `drain` (`written` false before the first). */
  written: boolean;
  writtenBid: Level | null;
  writtenAsk: Level | null;
}

/** Best bid/ask per token. */
export class TopOfBook {
  readonly #books = new Map<string, TokenBook>();
  readonly #dirty = new Set<string>();

  /** Tokens with a local book. */
  get size(): number {
    return this.#books.size;
  }

  /** True once `tokenId` has had a `book` since its last (re)subscribe or tick change. */
  seeded(tokenId: string): boolean {
    return this.#books.get(tokenId)?.seeded === true;
  }

  /** Applies one websocket message (other kinds are ignored). */
  apply(m: WsMessage): void {
    if (m.kind === "book") {
      const b = this.#get(m.book.tokenId);
      b.seeded = true;
      // The parsed book is best first: reverse into best-last order.
      b.bids = levelsBestLast(m.book.bids);
      b.asks = levelsBestLast(m.book.asks);
      this.#setTop(
        m.book.tokenId,
        b,
        level(m.book.bestBid),
        level(m.book.bestAsk),
        m.book.timestamp,
      );
    } else if (m.kind === "price_change") {
      for (const c of m.changes) {
        const b = this.#get(c.tokenId);
        if (!b.seeded) {
          if (c.bestBid !== null || c.bestAsk !== null) {
            this.#setTop(c.tokenId, b, level(c.bestBid), level(c.bestAsk), m.timestamp);
          }
          continue;
        }
        const bid = c.side === "BUY";
        const levels = bid ? b.bids : b.asks;
        const next = isZero(c.size)
          ? remove(levels, level(c.price), bid ? 1 : -1)
          : insert(levels, level(c.price), bid ? 1 : -1);
        if (bid) b.bids = next;
        else b.asks = next;
        this.#setTop(c.tokenId, b, b.bids.at(-1) ?? null, b.asks.at(-1) ?? null, m.timestamp);
      }
    } else if (m.kind === "tick_size_change") {
      this.unseed(m.tokenId);
    }
  }

  /**
   * Forgets a token's levels until its next `book` (resubscribe, tick change). Registers a
   * token not seen yet, so its book is keyed by the caller's (shared) id string.
   */
  unseed(tokenId: string): void {
    const b = this.#get(tokenId);
    b.seeded = false;
    b.bids = [];
    b.asks = [];
  }

  /** Drops a token entirely (unsubscribed). */
  forget(tokenId: string): void {
    this.#books.delete(tokenId);
    this.#dirty.delete(tokenId);
  }

  /** Quote rows for tokens whose best bid/ask changed since the last drain. */
  drain(): QuoteRow[] {
    const rows: QuoteRow[] = [];
    for (const tokenId of this.#dirty) {
      const b = this.#books.get(tokenId);
      if (b === undefined) continue;
      if (b.written && b.writtenBid === b.bestBid && b.writtenAsk === b.bestAsk) continue;
      b.written = true;
      b.writtenBid = b.bestBid;
      b.writtenAsk = b.bestAsk;
      rows.push({
        ts: new Date(b.changedAt),
        tokenId,
        bestBid: text(b.bestBid),
        bestAsk: text(b.bestAsk),
      });
    }
    this.#dirty.clear();
    return rows;
  }

  #get(tokenId: string): TokenBook {
    let b = this.#books.get(tokenId);
    if (b === undefined) {
      b = {
        seeded: false,
        bids: [],
        asks: [],
        bestBid: null,
        bestAsk: null,
        changedAt: 0,
        written: false,
        writtenBid: null,
        writtenAsk: null,
      };
      this.#books.set(tokenId, b);
    }
    return b;
  }

  #setTop(
    tokenId: string,
    b: TokenBook,
    bid: Level | null,
    ask: Level | null,
    at: number,
  ): void {
    if (bid === b.bestBid && ask === b.bestAsk) return;
    b.bestBid = bid;
    b.bestAsk = ask;
    b.changedAt = at;
    this.#dirty.add(tokenId);
  }
}

function level(price: DecimalString): Level;
function level(price: DecimalString | null): Level | null;
function level(price: DecimalString | null): Level | null {
  if (price === null) return null;
  const n = Number(price);
  return String(n) === price ? n : price;
}

function text(l: Level | null): DecimalString | null {
  return l === null || typeof l === "string" ? l : String(l) as DecimalString;
}

function compareLevels(a: Level, b: Level): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return compareDecimal(text(a)!, text(b)!);
}

/** Level prices of a best-first side, best last. */
function levelsBestLast(levels: readonly { price: DecimalString }[]): Level[] {
  return levels.map((l) => level(l.price)).reverse();
}

/**
 * Index of `price` in `levels` (sorted ascending by `dir × compareLevels`), or of where it
 * would go as `-(index + 1)`.
 */
function search(levels: readonly Level[], price: Level, dir: 1 | -1): number {
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = dir * compareLevels(levels[mid]!, price);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -(lo + 1);
}

/** `levels` with `price` present (a new array sized exactly, or `levels` if already there). */
function insert(levels: Level[], price: Level, dir: 1 | -1): Level[] {
  const i = search(levels, price, dir);
  return i >= 0 ? levels : levels.toSpliced(-(i + 1), 0, price);
}

/** `levels` without `price`. */
function remove(levels: Level[], price: Level, dir: 1 | -1): Level[] {
  const i = search(levels, price, dir);
  return i < 0 ? levels : levels.toSpliced(i, 1);
}

function isZero(size: string): boolean {
  return !/[1-9]/.test(size);
}
