/**
 * Local books kept from the market websocket, reduced to best bid/ask changes for `quotes`.
 * `book` replaces a token's book and seeds it; `price_change` sets a level's size ("0"
 * deletes) only once seeded (until then its `best_bid`/`best_ask` are trusted as-is);
 * `tick_size_change` and a (re)subscribe unseed the token until its next `book`. `drain()`
 * returns at most one row per token per call, only for tokens whose top of book changed, so
 * calling it every `quotesIntervalMs` bounds the rate; `drain(limit)` returns at most `limit`
 * rows and keeps the other changed tokens for the next call.
 *
 * When a quote was true (its `ts`), by message kind:
 * - `book`: the **receive time**. A `book`'s `timestamp` is the book's last change, not when it
 *   was sent: the snapshot sent on (re)subscribe carries the change that last touched the book,
 *   months back for a quiet market (13 months in the simulator at venue size; stamped there,
 *   78,785 quote rows fell into ~400 old daily chunks). The top of a snapshot is known true
 *   when it arrives, so that is when it is stamped; a live `book` after a trade is the same.
 * - `price_change`: the message's `timestamp`, which is the venue's send time.
 * - `best_bid_ask` and `tick_size_change` make no quote (`price_change` carries the same best
 *   bid/ask; a tick change only unseeds the token).
 * A token's quotes are stamped in the order they became true, each at least 1 ms after the
 * token's previous one: a `price_change` sent just before a snapshot arrived (the venue's
 * clock and ours differ by the latency, and by any skew) would otherwise sort before the
 * snapshot's quote it follows, or share its `(token, ts)` and be dropped on insert, leaving the
 * older top current. Such a quote moves forward by at most that latency.
 *
 * Memory (100,000 books are normal): only the top of book is stored, so a side is just its
 * level prices (sizes only tell whether a level exists), kept with the other side in one
 * sorted array per token (best price of each side last). A price is held as a number when
 * `String(Number(price))` gives the exact text back (every tick price does), otherwise as its
 * text; the best bid/ask written out are therefore always the exact venue decimals. The
 * per-token scalars (best and last written bid/ask, change time, flags) live column-wise in
 * typed arrays indexed by a slot number, not in an object per token.
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

/** Flag bits per slot. */
const SEEDED = 1;
const WRITTEN = 2;
const DIRTY = 4;
/** Code of "no price" in the best/written columns (prices are never negative). */
const NONE = -1;
/** A side with no levels (shared; never mutated). */
const NO_LEVELS: readonly Level[] = Object.freeze([]);

/**
 * Best bid/ask per token, stored column-wise: each token has a slot number, and its scalars
 * live in typed arrays at that slot (no object per token). Best and written prices are
 * codes: the number itself, `NONE`, or `-(2 + i)` for the i-th interned text price.
 */
export class TopOfBook {
  readonly #slots = new Map<string, number>();
  readonly #free: number[] = [];
  #ids: string[] = [];
  /** Bid prices ascending then ask prices descending (best of each side last). */
  #levels: (readonly Level[])[] = [];
  #bidCount = new Uint32Array(0);
  /**
   * Per slot: best bid, best ask, written bid, written ask (codes), time of the last change
   * (unix ms, see the module comment), `ts` of the last row drained (-Infinity before).
   */
  #num = new Float64Array(0);
  #flags = new Uint8Array(0);
  #dirty: number[] = [];
  readonly #textCodes = new Map<string, number>();
  readonly #texts: DecimalString[] = [];

  /** Tokens with a local book. */
  get size(): number {
    return this.#slots.size;
  }

  /** True once `tokenId` has had a `book` since its last (re)subscribe or tick change. */
  seeded(tokenId: string): boolean {
    const s = this.#slots.get(tokenId);
    return s !== undefined && (this.#flags[s]! & SEEDED) !== 0;
  }

  /** Applies one websocket message (other kinds are ignored). */
  apply(m: WsMessage): void {
    if (m.kind === "book") {
      const s = this.#slot(m.book.tokenId);
      const { bids, asks } = m.book;
      // The parsed book is best first: store each side reversed (best last).
      const levels: Level[] = new Array(bids.length + asks.length);
      for (let i = 0; i < bids.length; i++) levels[bids.length - 1 - i] = level(bids[i]!.price);
      for (let i = 0; i < asks.length; i++) levels[levels.length - 1 - i] = level(asks[i]!.price);
      this.#levels[s] = levels;
      this.#bidCount[s] = bids.length;
      this.#flags[s] = this.#flags[s]! | SEEDED;
      // The receive time, not `timestamp` (the book's last change: see the module comment).
      const at = m.book.receivedAt;
      this.#setTop(s, this.#code(m.book.bestBid), this.#code(m.book.bestAsk), at);
    } else if (m.kind === "price_change") {
      for (const c of m.changes) {
        const s = this.#slot(c.tokenId);
        if ((this.#flags[s]! & SEEDED) === 0) {
          if (c.bestBid !== null || c.bestAsk !== null) {
            this.#setTop(s, this.#code(c.bestBid), this.#code(c.bestAsk), m.timestamp);
          }
          continue;
        }
        const bid = c.side === "BUY";
        const levels = this.#levels[s]!;
        const nb = this.#bidCount[s]!;
        const from = bid ? 0 : nb;
        const to = bid ? nb : levels.length;
        const price = level(c.price);
        const i = search(levels, from, to, price, bid ? 1 : -1);
        if (isZero(c.size)) {
          if (i < 0) continue;
          this.#levels[s] = levels.length === 1 ? NO_LEVELS : levels.toSpliced(i, 1);
          if (bid) this.#bidCount[s] = nb - 1;
        } else {
          if (i >= 0) continue;
          this.#levels[s] = levels.toSpliced(-(i + 1), 0, price);
          if (bid) this.#bidCount[s] = nb + 1;
        }
        this.#setTopFromLevels(s, m.timestamp);
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
    const s = this.#slot(tokenId);
    this.#flags[s] = this.#flags[s]! & ~SEEDED;
    this.#levels[s] = NO_LEVELS;
    this.#bidCount[s] = 0;
  }

  /** Drops a token entirely (unsubscribed). */
  forget(tokenId: string): void {
    const s = this.#slots.get(tokenId);
    if (s === undefined) return;
    this.#slots.delete(tokenId);
    this.#flags[s] = 0;
    this.#levels[s] = NO_LEVELS;
    this.#ids[s] = "";
    this.#free.push(s);
  }

  /**
   * Quote rows for tokens whose best bid/ask changed since they were last returned, at most
   * `limit` (the rest stay pending for the next call, with their latest top).
   */
  drain(limit = Infinity): QuoteRow[] {
    const rows: QuoteRow[] = [];
    const num = this.#num;
    let i = 0;
    for (; i < this.#dirty.length && rows.length < limit; i++) {
      const s = this.#dirty[i]!;
      const flags = this.#flags[s]!;
      if ((flags & DIRTY) === 0) continue;
      this.#flags[s] = (flags & ~DIRTY) | WRITTEN;
      const o = s * COLUMNS;
      const bid = num[o]!;
      const ask = num[o + 1]!;
      if ((flags & WRITTEN) !== 0 && num[o + 2] === bid && num[o + 3] === ask) continue;
      num[o + 2] = bid;
      num[o + 3] = ask;
      // In the order the token's quotes became true, never on the previous row's (token, ts).
      const ts = Math.max(num[o + 4]!, num[o + 5]! + 1);
      num[o + 5] = ts;
      rows.push({
        ts: new Date(ts),
        tokenId: this.#ids[s]!,
        bestBid: this.#text(bid),
        bestAsk: this.#text(ask),
      });
    }
    this.#dirty = i === this.#dirty.length ? [] : this.#dirty.slice(i);
    return rows;
  }

  /** The slot of `tokenId`, registering the token if new. */
  #slot(tokenId: string): number {
    let s = this.#slots.get(tokenId);
    if (s !== undefined) return s;
    s = this.#free.pop() ?? this.#ids.length;
    if (s >= this.#flags.length) this.#grow(Math.max(64, this.#flags.length * 2));
    this.#slots.set(tokenId, s);
    this.#ids[s] = tokenId;
    this.#levels[s] = NO_LEVELS;
    this.#bidCount[s] = 0;
    this.#flags[s] = 0;
    this.#num.fill(NONE, s * COLUMNS, s * COLUMNS + 4);
    this.#num[s * COLUMNS + 4] = 0;
    this.#num[s * COLUMNS + 5] = -Infinity;
    return s;
  }

  #grow(capacity: number): void {
    const num = new Float64Array(capacity * COLUMNS);
    num.set(this.#num);
    this.#num = num;
    const flags = new Uint8Array(capacity);
    flags.set(this.#flags);
    this.#flags = flags;
    const bidCount = new Uint32Array(capacity);
    bidCount.set(this.#bidCount);
    this.#bidCount = bidCount;
  }

  #setTopFromLevels(s: number, at: number): void {
    const levels = this.#levels[s]!;
    const nb = this.#bidCount[s]!;
    const bid = nb > 0 ? levels[nb - 1]! : null;
    const ask = levels.length > nb ? levels[levels.length - 1]! : null;
    this.#setTop(s, this.#code(bid), this.#code(ask), at);
  }

  #setTop(s: number, bid: number, ask: number, at: number): void {
    const o = s * COLUMNS;
    if (this.#num[o] === bid && this.#num[o + 1] === ask) return;
    this.#num[o] = bid;
    this.#num[o + 1] = ask;
    this.#num[o + 4] = at;
    if ((this.#flags[s]! & DIRTY) === 0) {
      this.#flags[s] = this.#flags[s]! | DIRTY;
      this.#dirty.push(s);
    }
  }

  /** The column code of a price (text prices are interned: they are rare). */
  #code(price: Level | DecimalString | null): number {
    if (price === null) return NONE;
    const l = typeof price === "number" ? price : level(price);
    if (typeof l === "number") return l;
    let i = this.#textCodes.get(l);
    if (i === undefined) {
      i = this.#texts.push(l) - 1;
      this.#textCodes.set(l, i);
    }
    return -2 - i;
  }

  #text(code: number): DecimalString | null {
    if (code === NONE) return null;
    return code < 0 ? this.#texts[-2 - code]! : String(code) as DecimalString;
  }
}

/** Float64 columns per slot. */
const COLUMNS = 6;

function level(price: DecimalString): Level;
function level(price: DecimalString | null): Level | null;
function level(price: DecimalString | null): Level | null {
  if (price === null) return null;
  const n = Number(price);
  return String(n) === price ? n : price;
}

function compareLevels(a: Level, b: Level): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return compareDecimal(String(a) as DecimalString, String(b) as DecimalString);
}

/**
 * Index of `price` in `levels[from..to)` (sorted ascending by `dir × compareLevels`), or of
 * where it would go as `-(index + 1)`.
 */
function search(
  levels: readonly Level[],
  from: number,
  to: number,
  price: Level,
  dir: 1 | -1,
): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = dir * compareLevels(levels[mid]!, price);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -(lo + 1);
}

function isZero(size: string): boolean {
  return !/[1-9]/.test(size);
}
