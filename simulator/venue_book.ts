/**
 * The accounts' resting orders inside one market's book, in queue order per level. An order
 * joins behind everything already at its price (`ahead`); a taker that consumes a level eats
 * the queue from the front, so an order fills only once the size ahead of it is gone. When the
 * crowd cancels part of a level, the size ahead of an order shrinks with it (never below what
 * the accounts' own earlier orders still hold).
 *
 * @example
 * ```ts
 * import { MarketBook } from "./book.ts";
 * import { OwnBook } from "./venue_book.ts";
 * const book = new MarketBook(100);
 * const own = new OwnBook(book, (order, filled) => {});
 * // own.add(order); book.own?.consumed("bid", 4500, 1000, { outcome: 0, side: "SELL" });
 * ```
 */
import type { MarketBook, OwnOrders, Taker, YesSide } from "./book.ts";

/** What the book needs of a resting order (the venue's order record satisfies it). */
export interface RestingOrder {
  readonly id: string;
  readonly yesSide: YesSide;
  readonly yesPriceUnits: number;
  /** Unfilled size (hundredths). */
  remaining: number;
  /** Size queued ahead of this order at its level (hundredths). */
  ahead: number;
}

/**
 * Called for every fill of a resting order: `filled` hundredths at its level, by `taker`, who
 * took `amount` hundredths there in all.
 */
export type OnFill<T extends RestingOrder> = (
  order: T,
  filled: number,
  taker: { taker: Taker; amount: number },
) => void;

/** Own orders of one book; installs itself as `book.own`. */
export class OwnBook<T extends RestingOrder> implements OwnOrders {
  readonly #book: MarketBook;
  readonly #levels = new Map<string, T[]>();
  readonly #onFill: OnFill<T>;

  /** Attaches to `book`; `onFill` settles each fill. */
  constructor(book: MarketBook, onFill: OnFill<T>) {
    this.#book = book;
    this.#onFill = onFill;
    book.own = this;
  }

  /** Queues `order` behind the level's current size and adds its size to the level. */
  add(order: T): void {
    const map = order.yesSide === "bid" ? this.#book.bids : this.#book.asks;
    const total = map.get(order.yesPriceUnits) ?? 0;
    order.ahead = total;
    const key = levelKey(order.yesSide, order.yesPriceUnits);
    const queue = this.#levels.get(key) ?? [];
    queue.push(order);
    this.#levels.set(key, queue);
    this.#book.set(order.yesSide, order.yesPriceUnits, total + order.remaining);
  }

  /** Takes `order` out of its level (cancel or expiry); returns the size it freed. */
  remove(order: T): number {
    const key = levelKey(order.yesSide, order.yesPriceUnits);
    const queue = this.#levels.get(key) ?? [];
    const at = queue.indexOf(order);
    if (at < 0) return 0;
    queue.splice(at, 1);
    if (queue.length === 0) this.#levels.delete(key);
    for (const later of queue.slice(at)) later.ahead = Math.max(0, later.ahead - order.remaining);
    const map = order.yesSide === "bid" ? this.#book.bids : this.#book.asks;
    const total = map.get(order.yesPriceUnits) ?? 0;
    this.#book.set(order.yesSide, order.yesPriceUnits, total - order.remaining);
    return order.remaining;
  }

  /** Own size at a level (hundredths). */
  sizeAt(side: YesSide, priceUnits: number): number {
    let sum = 0;
    for (const o of this.#levels.get(levelKey(side, priceUnits)) ?? []) sum += o.remaining;
    return sum;
  }

  /** Own orders resting at a level, in queue order. */
  at(side: YesSide, priceUnits: number): readonly T[] {
    return this.#levels.get(levelKey(side, priceUnits)) ?? [];
  }

  /** Fills own orders at a level from the front of its queue; the caller resizes the level. */
  consumed(side: YesSide, priceUnits: number, amount: number, taker: Taker): void {
    const queue = this.#levels.get(levelKey(side, priceUnits));
    if (queue === undefined || amount <= 0) return;
    const map = side === "bid" ? this.#book.bids : this.#book.asks;
    const own = queue.reduce((n, o) => n + o.remaining, 0);
    const crowd = Math.max(0, (map.get(priceUnits) ?? 0) - own);
    let ownBefore = 0;
    const filled: Array<[T, number]> = [];
    for (const order of queue) {
      order.ahead = Math.min(order.ahead, crowd + ownBefore); // the crowd may have left
      ownBefore += order.remaining;
      const fill = Math.min(order.remaining, Math.max(0, amount - order.ahead));
      order.ahead = Math.max(0, order.ahead - amount);
      if (fill > 0) filled.push([order, fill]);
    }
    for (const [order, fill] of filled) {
      order.remaining -= fill;
      if (order.remaining === 0) queue.splice(queue.indexOf(order), 1);
    }
    if (queue.length === 0) this.#levels.delete(levelKey(side, priceUnits));
    for (const [order, fill] of filled) this.#onFill(order, fill, { taker, amount });
  }
}

function levelKey(side: YesSide, priceUnits: number): string {
  return `${side}:${priceUnits}`;
}
