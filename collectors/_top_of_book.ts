/**
 * Local books kept from the market websocket, reduced to best bid/ask changes for `quotes`.
 * `book` replaces a token's book and seeds it; `price_change` sets a level's size ("0"
 * deletes) only once seeded (until then its `best_bid`/`best_ask` are trusted as-is);
 * `tick_size_change` and a (re)subscribe unseed the token until its next `book`. `drain()`
 * returns at most one row per token per call, only for tokens whose top of book changed, so
 * calling it every `quotesIntervalMs` bounds the rate.
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

interface TokenBook {
  seeded: boolean;
  bids: Map<string, DecimalString>;
  asks: Map<string, DecimalString>;
  bestBid: DecimalString | null;
  bestAsk: DecimalString | null;
  /** Venue time of the latest change to the top. */
  changedAt: number;
  written: { bid: string | null; ask: string | null } | null;
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
      b.bids = new Map(m.book.bids.map((l) => [l.price, l.size]));
      b.asks = new Map(m.book.asks.map((l) => [l.price, l.size]));
      this.#setTop(m.book.tokenId, b, m.book.bestBid, m.book.bestAsk, m.book.timestamp);
    } else if (m.kind === "price_change") {
      for (const c of m.changes) {
        const b = this.#get(c.tokenId);
        if (!b.seeded) {
          if (c.bestBid !== null || c.bestAsk !== null) {
            this.#setTop(c.tokenId, b, c.bestBid, c.bestAsk, m.timestamp);
          }
          continue;
        }
        const levels = c.side === "BUY" ? b.bids : b.asks;
        if (isZero(c.size)) levels.delete(c.price);
        else levels.set(c.price, c.size);
        this.#setTop(c.tokenId, b, best(b.bids, 1), best(b.asks, -1), m.timestamp);
      }
    } else if (m.kind === "tick_size_change") {
      this.unseed(m.tokenId);
    }
  }

  /** Forgets a token's levels until its next `book` (resubscribe, tick change). */
  unseed(tokenId: string): void {
    const b = this.#books.get(tokenId);
    if (b === undefined) return;
    b.seeded = false;
    b.bids.clear();
    b.asks.clear();
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
      const w = b.written;
      if (w !== null && w.bid === b.bestBid && w.ask === b.bestAsk) continue;
      b.written = { bid: b.bestBid, ask: b.bestAsk };
      rows.push({ ts: new Date(b.changedAt), tokenId, bestBid: b.bestBid, bestAsk: b.bestAsk });
    }
    this.#dirty.clear();
    return rows;
  }

  #get(tokenId: string): TokenBook {
    let b = this.#books.get(tokenId);
    if (b === undefined) {
      b = {
        seeded: false,
        bids: new Map(),
        asks: new Map(),
        bestBid: null,
        bestAsk: null,
        changedAt: 0,
        written: null,
      };
      this.#books.set(tokenId, b);
    }
    return b;
  }

  #setTop(
    tokenId: string,
    b: TokenBook,
    bid: DecimalString | null,
    ask: DecimalString | null,
    at: number,
  ): void {
    if (bid === b.bestBid && ask === b.bestAsk) return;
    b.bestBid = bid;
    b.bestAsk = ask;
    b.changedAt = at;
    this.#dirty.add(tokenId);
  }
}

/** Highest (dir 1) or lowest (dir -1) price with a level. */
function best(levels: Map<string, DecimalString>, dir: 1 | -1): DecimalString | null {
  let top: DecimalString | null = null;
  for (const price of levels.keys()) {
    if (top === null || compareDecimal(price as DecimalString, top) * dir > 0) {
      top = price as DecimalString;
    }
  }
  return top;
}

function isZero(size: string): boolean {
  return !/[1-9]/.test(size);
}
