/**
 * Exact L2 books for a set of tokens, kept from `BookEvent`s: a `book` replaces a token's
 * levels and opens its gate; `price_change` sets a level's total size ("0" deletes) only while
 * the gate is open (a delta before the first snapshot is dropped and counted); a
 * `tick_size_change`, a `book_closed` (segment end, outage) or a resubscribe (`close`) shuts the
 * gate until the next snapshot; a `book_closed` for a resolution shuts it for good.
 * Freshness: each book remembers when it last changed and on which connection, and each
 * connection when it last delivered any event, so a consumer can tell a quiet book on a live
 * connection from a book on a connection that went silent.
 *
 * Prices are keyed by their exact value in 1e-8 units (an integer below 1e8, exact in a
 * float), and kept with the venue's text; sizes stay text. The sorted, best-first view
 * (`book()`) is rebuilt only after a change.
 *
 * @example
 * ```ts
 * import { L2Books } from "./l2_book.ts";
 * const books = new L2Books();
 * books.apply(event); // true when the token's open book changed
 * books.book(tokenId); // { bids, asks } best first, or null while gated
 * ```
 */
import type { BookEvent } from "./book_event.ts";

type Level = readonly [price: string, size: string];

/** One token's book. */
interface TokenBook {
  open: boolean;
  /** The market resolved: no later snapshot reopens the book. */
  resolved: boolean;
  bids: Map<number, Level>;
  asks: Map<number, Level>;
  /** Best-first view, or null when a change invalidated it. */
  view: { bids: Level[]; asks: Level[] } | null;
  tickSize: string | null;
  /** Local receive time and venue time of the last change (or snapshot). */
  changedAt: number;
  exchangeTs: number;
  connection: number;
}

/** Counts of what was applied, dropped or reset. */
export interface L2Stats {
  snapshots: number;
  deltas: number;
  /** Deltas for a token whose gate was shut (before its snapshot, after a tick change). */
  gatedDeltas: number;
  tickResets: number;
  /** Books closed by a `book_closed` event (segment end, outage, resolution). */
  closes: number;
}

/** Exact value of a decimal price in 1e-8 units (NaN when it has more places). */
export function priceUnits(text: string): number {
  const dot = text.indexOf(".");
  if (dot < 0) return Number(text) * 1e8;
  const fraction = text.slice(dot + 1);
  if (fraction.length > 8) return Number.NaN;
  return Number(text.slice(0, dot) || "0") * 1e8 + Number(fraction.padEnd(8, "0"));
}

const ZERO_SIZE = /^0*\.?0*$/;

export class L2Books {
  readonly #books = new Map<string, TokenBook>();
  readonly #connectionSeen = new Map<number, number>();
  readonly stats: L2Stats = {
    snapshots: 0,
    deltas: 0,
    gatedDeltas: 0,
    tickResets: 0,
    closes: 0,
  };

  /** Applies one event; true when an open book changed (a snapshot always counts). */
  apply(event: BookEvent): boolean {
    const seen = this.#connectionSeen.get(event.connection) ?? 0;
    if (event.receivedAt > seen) this.#connectionSeen.set(event.connection, event.receivedAt);
    let book = this.#books.get(event.tokenId);
    if (event.kind === "book") {
      book ??= this.#create(event.tokenId);
      book.bids = levelMap(event.bids);
      book.asks = levelMap(event.asks);
      book.open = !book.resolved;
      if (event.tickSize !== null) book.tickSize = event.tickSize;
      this.stats.snapshots++;
    } else if (event.kind === "price_change") {
      if (book === undefined || !book.open) {
        this.stats.gatedDeltas++;
        return false;
      }
      for (const c of event.changes) {
        const side = c.side === "BUY" ? book.bids : book.asks;
        const key = priceUnits(c.price);
        if (ZERO_SIZE.test(c.size)) side.delete(key);
        else side.set(key, [c.price, c.size]);
      }
      this.stats.deltas++;
    } else if (event.kind === "tick_size_change") {
      book ??= this.#create(event.tokenId);
      book.open = false;
      book.tickSize = event.newTickSize;
      book.bids.clear();
      book.asks.clear();
      this.stats.tickResets++;
    } else {
      book ??= this.#create(event.tokenId);
      book.open = false;
      book.resolved ||= event.reason === "resolved";
      book.bids.clear();
      book.asks.clear();
      this.stats.closes++;
    }
    book.view = null;
    book.changedAt = event.receivedAt;
    book.exchangeTs = event.exchangeTs;
    book.connection = event.connection;
    return book.open;
  }

  /** Shuts a token's gate until its next snapshot (it was resubscribed). */
  close(tokenId: string): void {
    const book = this.#books.get(tokenId);
    if (book === undefined) return;
    book.open = false;
    book.view = null;
  }

  forget(tokenId: string): void {
    this.#books.delete(tokenId);
  }

  /** True once a `book_closed` said the token's market resolved. */
  isResolved(tokenId: string): boolean {
    return this.#books.get(tokenId)?.resolved === true;
  }

  /** True when the token has had a snapshot since its gate last shut. */
  isOpen(tokenId: string): boolean {
    return this.#books.get(tokenId)?.open === true;
  }

  /** The open book best first (bids descending, asks ascending), or null while gated. */
  book(tokenId: string): { bids: readonly Level[]; asks: readonly Level[] } | null {
    const book = this.#books.get(tokenId);
    if (book === undefined || !book.open) return null;
    book.view ??= {
      bids: [...book.bids.entries()].sort((a, b) => b[0] - a[0]).map((e) => e[1]),
      asks: [...book.asks.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]),
    };
    return book.view;
  }

  /** Best bid in 1e-8 units (null: gated or no bids). */
  bestBid(tokenId: string): number | null {
    const book = this.#books.get(tokenId);
    if (book === undefined || !book.open || book.bids.size === 0) return null;
    if (book.view !== null) return priceUnits(book.view.bids[0]![0]);
    let best = -1;
    for (const key of book.bids.keys()) if (key > best) best = key;
    return best;
  }

  /** Best ask in 1e-8 units (null: gated or no asks). */
  bestAsk(tokenId: string): number | null {
    const book = this.#books.get(tokenId);
    if (book === undefined || !book.open || book.asks.size === 0) return null;
    if (book.view !== null) return priceUnits(book.view.asks[0]![0]);
    let best = Infinity;
    for (const key of book.asks.keys()) if (key < best) best = key;
    return best;
  }

  tickSize(tokenId: string): string | null {
    return this.#books.get(tokenId)?.tickSize ?? null;
  }

  /** When the token's book last changed (local receive ms), its venue time and connection. */
  freshness(
    tokenId: string,
  ): { changedAt: number; exchangeTs: number; connection: number } | null {
    const book = this.#books.get(tokenId);
    return book === undefined
      ? null
      : { changedAt: book.changedAt, exchangeTs: book.exchangeTs, connection: book.connection };
  }

  /**
   * When the connection carrying the token's book last delivered any event (0 = never), or
   * null without a book: `connectionSeenAt(freshness(t).connection)` without allocating, for
   * the scanner's per-event gates.
   */
  legSeenAt(tokenId: string): number | null {
    const book = this.#books.get(tokenId);
    return book === undefined ? null : this.#connectionSeen.get(book.connection) ?? 0;
  }

  /** The connection of the token's last event, or null without a book. */
  connectionOf(tokenId: string): number | null {
    return this.#books.get(tokenId)?.connection ?? null;
  }

  /** When a connection last delivered an event (0 = never). */
  connectionSeenAt(connection: number): number {
    return this.#connectionSeen.get(connection) ?? 0;
  }

  get size(): number {
    return this.#books.size;
  }

  #create(tokenId: string): TokenBook {
    const book: TokenBook = {
      open: false,
      resolved: false,
      bids: new Map(),
      asks: new Map(),
      view: null,
      tickSize: null,
      changedAt: 0,
      exchangeTs: 0,
      connection: 0,
    };
    this.#books.set(tokenId, book);
    return book;
  }
}

function levelMap(levels: readonly (readonly [string, string])[]): Map<number, Level> {
  const map = new Map<number, Level>();
  for (const level of levels) {
    if (!ZERO_SIZE.test(level[1])) map.set(priceUnits(level[0]), [level[0], level[1]]);
  }
  return map;
}
