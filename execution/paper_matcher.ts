/**
 * `PaperMatcher`: a pure, synchronous matching engine that fills our orders against the books
 * the stream delivers (live, or the recorded stream in replay) as the venue's matching would.
 * No clock of its own: every call carries its instant (an event's `receivedAt`, the scanner's
 * clock), and GTD expiry happens when time passes it. Money is exact (`Dec`), never a float.
 * The model and what it cannot know are written in docs/execution.md ("Paper broker: the fill
 * model").
 *
 * - Books are per token, as the venue's are: a BUY takes that token's asks and nothing is
 *   mirrored from the sibling token here (the stream already sends both tokens' levels).
 * - A marketable order walks the opposite side best first, up to its limit, filling at each
 *   level's price (the maker's). FOK fills whole or is refused; FAK fills what is there and
 *   cancels the rest (refused when nothing is there); GTC/GTD take what crosses and rest the
 *   remainder, or are refused whole when post-only and crossing. What we took is gone from our
 *   copy of the book until the stream next sets that level.
 * - A resting order joins behind the size the book shows at its price (`queueAhead`). Decreases
 *   at that level eat the queue: `ahead_first` (default) takes every decrease from the orders
 *   ahead first and lets the part beyond them trade against us; `proportional` shrinks the queue
 *   in proportion (Q × new ÷ old) and never fills from a decrease alone. A trade at our price
 *   (`onTrade`, when a trade feed is given) eats the queue and then fills us; a trade through
 *   our price fills us. When the opposite side comes to our price (an ask at or below our
 *   bid), that liquidity would have met us: we fill at our price, up to its size.
 * - Every taker fill pays `takerFee` of the schedule `feeOf(tokenId, at)` gives at that
 *   instant, per level; maker fills pay nothing. An order that would take without a known
 *   schedule is refused (never guessed).
 *
 * @example
 * ```ts
 * import { PaperMatcher } from "./paper_matcher.ts";
 * const matcher = new PaperMatcher({ feeOf: () => ({ rate: "0.05", exponent: 1, takerOnly: true }) });
 * matcher.onBookEvent(snapshot); // the token's book
 * const result = matcher.submit(order, snapshot.receivedAt + 50); // fills + order state
 * ```
 */
import type { BrokerEvent, Fill, OpenOrder, OrderRequest, OrderStatus, Side } from "./broker.ts";
import type { BookEvent, PriceChangeEvent } from "../stream/book_event.ts";
import { type Dec, formatDec, parseDec, ZERO } from "../edge/decimal.ts";
import { parseFee, takerFee } from "../edge/fees.ts";
import type { FeeSchedule } from "../edge/market.ts";
import {
  byPriority,
  invalidRequest,
  isZeroSize,
  levelMap,
  levelsThrough,
  minDec,
  newPaperBook,
  openOrderOf,
  type PaperBook,
  setLevel,
  sizeAt,
  sizeDec,
  unitsOf,
  type Working,
} from "./_paper_book.ts";

/** How decreases at our price level move the queue ahead of us (docs/execution.md). */
export type QueueModel = "ahead_first" | "proportional";

export interface MatcherOptions {
  /** The token's fee schedule in force at the instant (null: unknown, so no taker fill). */
  readonly feeOf: (tokenId: string, at: number) => FeeSchedule | null;
  readonly queue?: QueueModel;
  /** The venue's GTD safety threshold: a GTD order stops this long before its expiration. */
  readonly gtdThresholdMs?: number;
  /** Prefix of order and fill ids (default "paper"). */
  readonly idPrefix?: string;
}

/** A public trade (`last_trade_price`): `side` is the taker's. */
export interface TradePrint {
  readonly tokenId: string;
  readonly price: string;
  readonly size: string;
  readonly side: Side;
  /** Unix ms. */
  readonly at: number;
}

/** What a submit did: the order's state and the events it caused, or a refusal. */
export type MatchResult =
  | { readonly ok: true; readonly order: OpenOrder; readonly events: BrokerEvent[] }
  | { readonly ok: false; readonly error: string; readonly retryable: boolean };

/** The venue's own texts for the refusals it has them for (shared/polymarket-api.md §4). */
export const FOK_NOT_FILLED =
  "order couldn't be fully filled. FOK orders are fully filled or killed.";
export const FAK_NO_MATCH =
  "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.";
export const POST_ONLY_CROSSES = "invalid post-only order: order crosses book";

const DEFAULT_GTD_THRESHOLD_MS = 60_000;
const NONE: readonly BrokerEvent[] = Object.freeze([]);

export class PaperMatcher {
  readonly #books = new Map<string, PaperBook>();
  readonly #live = new Map<string, Working>();
  readonly #all = new Map<string, Working>();
  readonly #feeOf: MatcherOptions["feeOf"];
  readonly #queue: QueueModel;
  readonly #gtdThresholdMs: number;
  readonly #prefix: string;
  #nextExpiry = Infinity;
  /** Where one book event's results collect (handed out by `splice`, so reused). */
  readonly #out: BrokerEvent[] = [];
  #orders = 0;
  #fills = 0;
  /** Book events applied. */
  events = 0;

  constructor(options: MatcherOptions) {
    this.#feeOf = options.feeOf;
    this.#queue = options.queue ?? "ahead_first";
    this.#gtdThresholdMs = options.gtdThresholdMs ?? DEFAULT_GTD_THRESHOLD_MS;
    this.#prefix = options.idPrefix ?? "paper";
  }

  /**
   * Places an order that reaches the book at `at`. Time is moved by book events and
   * `advance(at)`, not here: call `advance(at)` first when no event did (the broker does), or a
   * GTD order past its expiry is still listed open.
   */
  submit(request: OrderRequest, at: number): MatchResult {
    const out: BrokerEvent[] = [];
    const invalid = invalidRequest(request, at, this.#gtdThresholdMs);
    if (invalid !== null) return { ok: false, error: invalid, retryable: false };
    const book = this.#books.get(request.tokenId);
    if (book === undefined || !book.open) {
      return {
        ok: false,
        error: book?.resolved ? "market resolved" : `paper: no book for token ${request.tokenId}`,
        retryable: book?.resolved !== true,
      };
    }
    const price = parseDec(request.price);
    const size = parseDec(request.size);
    const key = unitsOf(request.price);
    const opposite = request.side === "BUY" ? book.asks : book.bids;
    const reach = levelsThrough(opposite, request.side === "BUY" ? "asks" : "bids", key);
    const resting = request.orderType === "GTC" || request.orderType === "GTD";
    if (resting && request.postOnly && reach.length > 0) {
      return { ok: false, error: POST_ONLY_CROSSES, retryable: false };
    }
    let available = ZERO;
    for (const k of reach) {
      available += sizeAt(opposite, k);
      if (available >= size) break;
    }
    if (request.orderType === "FOK" && available < size) {
      return { ok: false, error: FOK_NOT_FILLED, retryable: false };
    }
    if (request.orderType === "FAK" && available === ZERO) {
      return { ok: false, error: FAK_NO_MATCH, retryable: false };
    }
    const fee = available > ZERO ? parseFee(this.#feeOf(request.tokenId, at)) : null;
    if (available > ZERO && fee === null) {
      return {
        ok: false,
        error: `paper: no fee schedule in force for token ${request.tokenId}`,
        retryable: false,
      };
    }
    const order: Working = {
      orderId: `${this.#prefix}-o${++this.#orders}`,
      clientOrderId: request.clientOrderId,
      tokenId: request.tokenId,
      side: request.side,
      orderType: request.orderType,
      priceText: request.price,
      price,
      key,
      size,
      matched: ZERO,
      queueAhead: ZERO,
      status: "LIVE",
      createdAt: at,
      expiresAt: request.orderType === "GTD"
        ? request.expiration! * 1000 - this.#gtdThresholdMs
        : null,
      seq: this.#orders,
    };
    this.#all.set(order.orderId, order);
    // Take what crosses, best level first, at the level's price.
    for (const k of reach) {
      const left = order.size - order.matched;
      if (left <= ZERO) break;
      const level = sizeAt(opposite, k);
      const take = left < level ? left : level;
      setLevel(opposite, k, level - take);
      this.#fill(order, BigInt(k), take, takerFee(take, BigInt(k), fee!), "taker", at, out);
    }
    const left = order.size - order.matched;
    if (left === ZERO) order.status = "MATCHED";
    else if (!resting) order.status = order.matched > ZERO ? "MATCHED" : "CANCELED";
    else {
      order.queueAhead = sizeAt(request.side === "BUY" ? book.bids : book.asks, key);
      book.resting.push(order);
      this.#live.set(order.orderId, order);
      if (order.expiresAt !== null && order.expiresAt < this.#nextExpiry) {
        this.#nextExpiry = order.expiresAt;
      }
    }
    out.push({ kind: "order", order: openOrderOf(order), at });
    return { ok: true, order: openOrderOf(order), events: out };
  }

  /** Cancels a live order at `at` (time is moved as for `submit`); the reason when it is not live. */
  cancel(orderId: string, at: number): { ok: true; events: BrokerEvent[] } | {
    ok: false;
    reason: string;
  } {
    const out: BrokerEvent[] = [];
    const order = this.#live.get(orderId);
    if (order === undefined) {
      return {
        ok: false,
        reason: this.#all.has(orderId) ? "already canceled or matched" : "order not found",
      };
    }
    this.#close(order, "CANCELED", at, out);
    return { ok: true, events: out };
  }

  /**
   * Applies one book event (live or replayed) and returns what it did to our orders (the
   * shared empty list when nothing: most events touch no order of ours).
   */
  onBookEvent(event: BookEvent): readonly BrokerEvent[] {
    this.events++;
    const out = this.#out;
    if (event.receivedAt >= this.#nextExpiry) this.#expire(event.receivedAt, out);
    this.#apply(event, out);
    return out.length === 0 ? NONE : out.splice(0);
  }

  #apply(event: BookEvent, out: BrokerEvent[]): void {
    const at = event.receivedAt;
    let book = this.#books.get(event.tokenId);
    if (book === undefined) this.#books.set(event.tokenId, book = newPaperBook());
    switch (event.kind) {
      case "price_change":
        if (!book.open) return;
        if (book.resting.length === 0) {
          for (const c of event.changes) {
            const levels = c.side === "BUY" ? book.bids : book.asks;
            if (isZeroSize(c.size)) levels.delete(unitsOf(c.price));
            else levels.set(unitsOf(c.price), c.size);
          }
          return;
        }
        this.#changeWithOrders(book, event, out);
        return;
      case "book":
        this.#snapshot(book, event.bids, event.asks, at, out);
        return;
      case "tick_size_change":
        book.open = false;
        book.bids.clear();
        book.asks.clear();
        return;
      case "book_closed":
        book.open = false;
        book.bids.clear();
        book.asks.clear();
        if (event.reason === "resolved") {
          book.resolved = true;
          for (const order of [...book.resting]) {
            this.#close(order, "CANCELED_MARKET_RESOLVED", at, out);
          }
        }
        return;
    }
  }

  /** A public trade: eats the queue at its price and fills our orders it reached. */
  onTrade(trade: TradePrint): BrokerEvent[] {
    const out: BrokerEvent[] = [];
    this.#expire(trade.at, out);
    const book = this.#books.get(trade.tokenId);
    if (book === undefined || book.resting.length === 0) return out;
    const makerSide: Side = trade.side === "SELL" ? "BUY" : "SELL";
    const key = unitsOf(trade.price);
    let budget = parseDec(trade.size);
    const through = (o: Working) => makerSide === "BUY" ? o.key > key : o.key < key;
    const atLevel: Working[] = [];
    for (const order of byPriority(book.resting, makerSide)) {
      if (through(order)) {
        order.queueAhead = ZERO;
        const take = minDec(budget, order.size - order.matched);
        budget -= take;
        if (take > ZERO) this.#fill(order, order.price, take, ZERO, "maker", trade.at, out);
      } else if (order.key === key) atLevel.push(order);
    }
    if (atLevel.length > 0 && budget > ZERO) {
      const creditKey = `${makerSide === "BUY" ? "B" : "S"}:${key}`;
      book.tradeCredit.set(creditKey, (book.tradeCredit.get(creditKey) ?? ZERO) + budget);
      this.#eatThrough(atLevel, budget, trade.at, out);
    }
    return out;
  }

  /** Lets time pass to `at` (GTD expiry) without a book event. */
  advance(at: number): BrokerEvent[] {
    const out: BrokerEvent[] = [];
    this.#expire(at, out);
    return out;
  }

  /** An order by id, live or not. */
  order(orderId: string): OpenOrder | null {
    const order = this.#all.get(orderId);
    return order === undefined ? null : openOrderOf(order);
  }

  /** Shares ahead of a live order at its price (null when it is not live). */
  queueAhead(orderId: string): string | null {
    const order = this.#live.get(orderId);
    return order === undefined ? null : formatDec(order.queueAhead);
  }

  openOrders(): OpenOrder[] {
    return [...this.#live.values()].map(openOrderOf);
  }

  /** The best price on a side of a token's open book (bids: highest), or null. */
  best(tokenId: string, side: "bids" | "asks"): string | null {
    const book = this.#books.get(tokenId);
    if (book === undefined || !book.open) return null;
    let best = side === "bids" ? -Infinity : Infinity;
    for (const key of (side === "bids" ? book.bids : book.asks).keys()) {
      if (side === "bids" ? key > best : key < best) best = key;
    }
    return Number.isFinite(best) ? formatDec(BigInt(best)) : null;
  }

  /** Our copy of a token's book best first (what we took is gone), or null while gated. */
  book(tokenId: string): { bids: [string, string][]; asks: [string, string][] } | null {
    const book = this.#books.get(tokenId);
    if (book === undefined || !book.open) return null;
    const view = (levels: Map<number, string>, side: "asks" | "bids") =>
      levelsThrough(levels, side, side === "asks" ? Infinity : -Infinity)
        .map((k) => [formatDec(BigInt(k)), levels.get(k)!] as [string, string]);
    return { bids: view(book.bids, "bids"), asks: view(book.asks, "asks") };
  }

  #changeWithOrders(book: PaperBook, event: PriceChangeEvent, out: BrokerEvent[]): void {
    let maxBid = -Infinity;
    let minAsk = Infinity;
    for (const o of book.resting) {
      if (o.side === "BUY" && o.key > maxBid) maxBid = o.key;
      if (o.side === "SELL" && o.key < minAsk) minAsk = o.key;
    }
    let crosses = false;
    for (const c of event.changes) {
      const levels = c.side === "BUY" ? book.bids : book.asks;
      const key = unitsOf(c.price);
      const zero = isZeroSize(c.size);
      let ours = false;
      for (const o of book.resting) if (o.key === key && o.side === c.side) ours = true;
      if (ours) {
        const old = levels.get(key);
        // Only a decrease moves the queue; the float units (exact below 2^53) say which
        // without making bigints for the increases.
        const from = old === undefined ? 0 : unitsOf(old);
        const to = zero ? 0 : unitsOf(c.size);
        if (old !== c.size && !(to >= from)) {
          const mine = book.resting.filter((o) => o.key === key && o.side === c.side);
          const before = old === undefined ? ZERO : sizeDec(old);
          const after = zero ? ZERO : sizeDec(c.size);
          this.#decrease(book, c.side, key, mine, before, after, event.receivedAt, out);
        }
      }
      if (zero) levels.delete(key);
      else {
        levels.set(key, c.size);
        if (c.side === "SELL" ? key <= maxBid : key >= minAsk) crosses = true;
      }
    }
    if (crosses) this.#cross(book, event.receivedAt, out);
  }

  #snapshot(
    book: PaperBook,
    bids: readonly (readonly [string, string])[],
    asks: readonly (readonly [string, string])[],
    at: number,
    out: BrokerEvent[],
  ): void {
    const wasOpen = book.open;
    const oldBids = book.bids;
    const oldAsks = book.asks;
    book.bids = levelMap(bids);
    book.asks = levelMap(asks);
    book.open = !book.resolved;
    book.tradeCredit.clear();
    if (book.resting.length === 0 || !book.open) return;
    // Our orders by level, in time order: one decrease is shared by the orders at a level.
    const levels = new Map<string, Working[]>();
    for (const order of book.resting) {
      const id = `${order.side}:${order.key}`;
      const list = levels.get(id);
      if (list === undefined) levels.set(id, [order]);
      else list.push(order);
    }
    for (const orders of levels.values()) {
      const { side, key } = orders[0]!;
      const after = sizeAt(side === "BUY" ? book.bids : book.asks, key);
      if (!wasOpen) {
        // What happened while the book was unknown is unknown: orders join behind us, so at
        // most the new size is still ahead.
        for (const order of orders) order.queueAhead = minDec(order.queueAhead, after);
      } else {
        const before = sizeAt(side === "BUY" ? oldBids : oldAsks, key);
        this.#decrease(book, side, key, orders, before, after, at, out);
      }
    }
    this.#cross(book, at, out);
  }

  /** The level of our `orders` went from `before` to `after` shares (the book's, not ours). */
  #decrease(
    book: PaperBook,
    side: Side,
    key: number,
    orders: Working[],
    before: Dec,
    after: Dec,
    at: number,
    out: BrokerEvent[],
  ): void {
    let gone = before - after;
    if (gone <= ZERO) return;
    // Only a trade feed leaves credit: without one, no key is made.
    const creditKey = book.tradeCredit.size === 0 ? "" : `${side === "BUY" ? "B" : "S"}:${key}`;
    const credit = creditKey === "" ? undefined : book.tradeCredit.get(creditKey);
    if (credit !== undefined) {
      // Volume a trade already counted: its book change is not a second eating.
      const absorbed = minDec(gone, credit);
      if (credit - absorbed > ZERO) book.tradeCredit.set(creditKey, credit - absorbed);
      else book.tradeCredit.delete(creditKey);
      gone -= absorbed;
      if (gone <= ZERO) return;
    }
    if (this.#queue === "proportional") {
      for (const order of orders) order.queueAhead = order.queueAhead * after / before;
      return;
    }
    this.#eatThrough(orders, gone, at, out);
  }

  /** `volume` traded (or left) at the level of `orders`: it eats each queue, the rest fills. */
  #eatThrough(orders: Working[], volume: Dec, at: number, out: BrokerEvent[]): void {
    let budget = volume;
    // `orders` come in time order (the token's resting list is).
    for (const order of orders) {
      const beyond = volume > order.queueAhead ? volume - order.queueAhead : ZERO;
      order.queueAhead = order.queueAhead > volume ? order.queueAhead - volume : ZERO;
      if (order.status !== "LIVE") continue;
      const take = minDec(minDec(beyond, budget), order.size - order.matched);
      if (take <= ZERO) continue;
      budget -= take;
      this.#fill(order, order.price, take, ZERO, "maker", at, out);
    }
  }

  /** The opposite side reached our resting prices: that liquidity meets us, at our price. */
  #cross(book: PaperBook, at: number, out: BrokerEvent[]): void {
    for (const side of ["BUY", "SELL"] as const) {
      const opposite = side === "BUY" ? book.asks : book.bids;
      for (const order of byPriority(book.resting, side)) {
        if (order.status !== "LIVE") continue;
        for (const k of levelsThrough(opposite, side === "BUY" ? "asks" : "bids", order.key)) {
          const left = order.size - order.matched;
          if (left <= ZERO) break;
          order.queueAhead = ZERO;
          const level = sizeAt(opposite, k);
          const take = left < level ? left : level;
          setLevel(opposite, k, level - take);
          this.#fill(order, order.price, take, ZERO, "maker", at, out);
        }
      }
    }
  }

  #fill(
    order: Working,
    price: Dec,
    size: Dec,
    fee: Dec,
    liquidity: "maker" | "taker",
    at: number,
    out: BrokerEvent[],
  ): void {
    order.matched += size;
    const fill: Fill = {
      fillId: `${this.#prefix}-f${++this.#fills}`,
      orderId: order.orderId,
      clientOrderId: order.clientOrderId,
      tokenId: order.tokenId,
      side: order.side,
      price: formatDec(price),
      size: formatDec(size),
      fee: formatDec(fee),
      liquidity,
      at,
    };
    out.push({ kind: "fill", fill });
    if (liquidity === "maker") {
      if (order.matched === order.size) this.#close(order, "MATCHED", at, out);
      else out.push({ kind: "order", order: openOrderOf(order), at });
    }
  }

  #close(order: Working, status: OrderStatus, at: number, out: BrokerEvent[]): void {
    order.status = status;
    this.#live.delete(order.orderId);
    const book = this.#books.get(order.tokenId);
    if (book !== undefined) book.resting = book.resting.filter((o) => o !== order);
    out.push({ kind: "order", order: openOrderOf(order), at });
  }

  #expire(at: number, out: BrokerEvent[]): void {
    if (at < this.#nextExpiry) return;
    let next = Infinity;
    for (const order of [...this.#live.values()]) {
      if (order.expiresAt === null) continue;
      if (order.expiresAt <= at) this.#close(order, "CANCELED", order.expiresAt, out);
      else if (order.expiresAt < next) next = order.expiresAt;
    }
    this.#nextExpiry = next;
  }
}
