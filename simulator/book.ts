/**
 * One market's order book, held once from the Yes token's point of view. The No token's book is
 * its mirror (No bid at 1 − p ⇔ Yes ask at p), so the two views can never disagree.
 *
 * @example
 * ```ts
 * import { MarketBook } from "./book.ts";
 * const b = new MarketBook(100);
 * b.set("bid", 4500, 10_000);
 * b.view(1).asks; // [{ price: "0.55", size: "100" }]
 * ```
 */
import { formatPrice, formatScaled, PRICE_SCALE } from "./universe.ts";
import type { Random } from "./_random.ts";

/** A wire price level: decimal strings. */
export interface WireLevel {
  price: string;
  size: string;
}

/** Book sides for one token in wire order: bids ascending, asks descending (best last). */
export interface BookView {
  bids: WireLevel[];
  asks: WireLevel[];
}

/** Yes-side book side. */
export type YesSide = "bid" | "ask";

/** Sizes are integers in hundredths of a share. */
export const SIZE_SCALE = 100;

/**
 * Orders of simulated accounts resting in a book (`venue_book.ts`): their size stays in the
 * level whatever the simulated crowd does, and the crowd's taker flow fills them in queue order.
 */
export interface OwnOrders {
  /** Own size resting at a Yes-side level (hundredths). */
  sizeAt(side: YesSide, priceUnits: number): number;
  /** A taker consumed `amount` (hundredths) at a level: fill own orders in queue order. */
  consumed(side: YesSide, priceUnits: number, amount: number, taker: Taker): void;
}

/** Who took liquidity: the token and side it traded, and its order when an account's. */
export interface Taker {
  outcome: 0 | 1;
  side: "BUY" | "SELL";
  /** The taking account's order id and maker address (absent for the simulated crowd). */
  orderId?: string;
  address?: string;
}

/** Price-level book of one binary market (Yes perspective). */
export class MarketBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  /** Yes last trade price in price units, or null before any trade. */
  lastTradeUnits: number | null = null;
  /** Increments on every change; feeds the synthetic book hash. */
  version = 0;
  updatedAtMs = 0;
  tickUnits: number;
  /** Resting orders of simulated accounts, once any were placed here. */
  own: OwnOrders | null = null;

  /** An empty book on the given tick grid (price units). */
  constructor(tickUnits: number) {
    this.tickUnits = tickUnits;
  }

  /** Fills both sides around `priceUnits` with a few levels of random size. */
  seed(r: Random, priceUnits: number, nowMs: number): void {
    this.bids.clear();
    this.asks.clear();
    const t = this.tickUnits;
    const mid = Math.min(PRICE_SCALE - 2 * t, Math.max(2 * t, Math.round(priceUnits / t) * t));
    const levels = r.range(4, 8);
    for (let i = 0; i < levels; i++) {
      const bid = mid - t * (1 + i + r.int(2));
      const ask = mid + t * (i + r.int(2)) + (i === 0 ? 0 : t);
      if (bid >= t) this.bids.set(bid, randomSize(r));
      if (ask <= PRICE_SCALE - t && ask > bid) this.asks.set(ask, randomSize(r));
    }
    this.touch(nowMs);
  }

  /**
   * Sets a Yes-side level to `sizeHundredths` (0 deletes); never below the accounts' own
   * orders there (the crowd changes only its own share of a level).
   */
  set(side: YesSide, priceUnits: number, sizeHundredths: number): void {
    const map = side === "bid" ? this.bids : this.asks;
    sizeHundredths = Math.max(sizeHundredths, this.own?.sizeAt(side, priceUnits) ?? 0);
    if (sizeHundredths <= 0) map.delete(priceUnits);
    else map.set(priceUnits, sizeHundredths);
  }

  /** Marks a change (new version and timestamp). */
  touch(nowMs: number): void {
    this.version++;
    this.updatedAtMs = nowMs;
  }

  /** Best Yes bid in price units, or null. */
  bestBid(): number | null {
    let best: number | null = null;
    for (const p of this.bids.keys()) if (best === null || p > best) best = p;
    return best;
  }

  /** Best Yes ask in price units, or null. */
  bestAsk(): number | null {
    let best: number | null = null;
    for (const p of this.asks.keys()) if (best === null || p < best) best = p;
    return best;
  }

  /** Top of book for one token as wire strings ("0" / "1" for an empty side, as the venue does). */
  quote(outcome: 0 | 1): { bestBid: string; bestAsk: string } {
    const bid = this.bestBid();
    const ask = this.bestAsk();
    if (outcome === 0) {
      return {
        bestBid: bid === null ? "0" : formatPrice(bid),
        bestAsk: ask === null ? "1" : formatPrice(ask),
      };
    }
    return {
      bestBid: ask === null ? "0" : formatPrice(PRICE_SCALE - ask),
      bestAsk: bid === null ? "1" : formatPrice(PRICE_SCALE - bid),
    };
  }

  /** Wire levels for one token: Yes (0) directly, No (1) mirrored. */
  view(outcome: 0 | 1): BookView {
    const yesBids = sortedLevels(this.bids);
    const yesAsks = sortedLevels(this.asks);
    if (outcome === 0) {
      return { bids: yesBids.map(toWire), asks: yesAsks.reverse().map(toWire) };
    }
    // No bids = Yes asks at 1 − p (ascending once mirrored from descending Yes asks).
    const noBids = yesAsks.slice().reverse().map(([p, s]) => toWire([PRICE_SCALE - p, s]));
    const noAsks = yesBids.map(([p, s]) => toWire([PRICE_SCALE - p, s]));
    return { bids: noBids, asks: noAsks };
  }

  /** Last trade price for one token as a wire string ("" before any trade). */
  lastTrade(outcome: 0 | 1): string {
    if (this.lastTradeUnits === null) return "";
    return formatPrice(outcome === 0 ? this.lastTradeUnits : PRICE_SCALE - this.lastTradeUnits);
  }
}

/** Random resting size in hundredths (5 to ~5,000 shares, skewed small). */
export function randomSize(r: Random): number {
  return Math.round((5 + r.next() ** 3 * 5000) * SIZE_SCALE);
}

/** Formats a size in hundredths as a decimal string. */
export function formatSize(hundredths: number): string {
  return formatScaled(hundredths, 2);
}

function sortedLevels(map: Map<number, number>): Array<[number, number]> {
  return [...map.entries()].sort((a, b) => a[0] - b[0]);
}

function toWire([price, size]: [number, number]): WireLevel {
  return { price: formatPrice(price), size: formatSize(size) };
}
