/**
 * The paper matcher's book of one token and the orders of ours resting on it. Levels are kept
 * as the stream sends them (price key in 1e-8 units → size text) and parsed to `Dec` only where
 * one of our orders meets them, so the ~99% of events that touch no order of ours cost what
 * `L2Books` costs. A level our own take consumed is rewritten with what is left, until the
 * stream sets it again.
 *
 * @example
 * ```ts
 * import { levelsThrough, newPaperBook } from "./_paper_book.ts";
 * const book = newPaperBook();
 * book.asks.set(45_000_000, "10");
 * levelsThrough(book.asks, "asks", 50_000_000); // [45_000_000]: asks at or below 0.50
 * ```
 */
import type { OpenOrder, OrderRequest, OrderStatus, OrderType, Side } from "./broker.ts";
import { type Dec, formatDec, mulDec, ONE, parseDec, ZERO } from "../edge/decimal.ts";

/** One order of ours that the matcher holds (live or not yet answered). */
export interface Working {
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly tokenId: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly priceText: string;
  readonly price: Dec;
  /** The price in 1e-8 units, as the book keys its levels. */
  readonly key: number;
  readonly size: Dec;
  matched: Dec;
  /** Shares ahead of us at our price (the recorded book's size when we joined, then eaten). */
  queueAhead: Dec;
  status: OrderStatus;
  readonly createdAt: number;
  /** Unix ms when a GTD order stops (expiration minus the venue's threshold); null otherwise. */
  readonly expiresAt: number | null;
  /** Time priority among our own orders. */
  readonly seq: number;
}

/** One token's book as the matcher keeps it. */
export interface PaperBook {
  open: boolean;
  resolved: boolean;
  /** Price key → size text; best-first order is made on demand. */
  bids: Map<number, string>;
  asks: Map<number, string>;
  /** Our live orders on this token in time order. */
  resting: Working[];
  /** Trade volume at a level (key "B:<key>" / "S:<key>") not yet seen as a book decrease. */
  tradeCredit: Map<string, Dec>;
}

export function newPaperBook(): PaperBook {
  return {
    open: false,
    resolved: false,
    bids: new Map(),
    asks: new Map(),
    resting: [],
    tradeCredit: new Map(),
  };
}

/** "0", "0.00", "" … : a size that deletes its level. */
export function isZeroSize(size: string): boolean {
  for (let i = 0; i < size.length; i++) {
    const c = size.charCodeAt(i);
    if (c !== 48 && c !== 46) return false;
  }
  return true;
}

const POW10 = [1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1];

/**
 * A decimal's exact value in 1e-8 units as a float ("0.52" → 52,000,000), reading the
 * characters without making strings (the matcher's busy path runs it for every level change);
 * NaN for anything but digits with at most one point and 8 places, or past 2^53 units.
 */
export function unitsOf(text: string): number {
  let whole = 0;
  let fraction = 0;
  let places = -1;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (places >= 0) return Number.NaN;
      places = 0;
    } else if (c < 48 || c > 57) return Number.NaN;
    else if (places < 0) {
      whole = whole * 10 + (c - 48);
      digits++;
    } else {
      if (++places > 8) return Number.NaN;
      fraction = fraction * 10 + (c - 48);
      digits++;
    }
  }
  if (digits === 0) return Number.NaN;
  const units = whole * 1e8 + fraction * POW10[places < 0 ? 0 : places]!;
  return units <= Number.MAX_SAFE_INTEGER ? units : Number.NaN;
}

/** The size at a level as a Dec (0 when absent). */
export function sizeAt(levels: Map<number, string>, key: number): Dec {
  const text = levels.get(key);
  return text === undefined ? ZERO : sizeDec(text);
}

/**
 * A size as a Dec. The stream's sizes ("123.45") are below 2^53 units of 1e-8, so the float
 * sum of their whole and fraction parts is exact and saves `parseDec`'s regular expression on
 * the matcher's busy path; anything else goes through `parseDec`.
 */
export function sizeDec(text: string): Dec {
  const units = unitsOf(text);
  return Number.isSafeInteger(units) && units >= 0 ? BigInt(units) : parseDec(text);
}

/** Rewrites a level after our take left `rest` of it (deleted at 0). */
export function setLevel(levels: Map<number, string>, key: number, rest: Dec): void {
  if (rest <= ZERO) levels.delete(key);
  else levels.set(key, formatDec(rest));
}

/**
 * Keys of the levels a taker at `limitKey` reaches, best first: asks at or below the limit
 * (cheapest first), bids at or above it (highest first).
 */
export function levelsThrough(
  levels: Map<number, string>,
  side: "asks" | "bids",
  limitKey: number,
): number[] {
  const keys: number[] = [];
  if (side === "asks") {
    for (const key of levels.keys()) if (key <= limitKey) keys.push(key);
    return keys.sort((a, b) => a - b);
  }
  for (const key of levels.keys()) if (key >= limitKey) keys.push(key);
  return keys.sort((a, b) => b - a);
}

/** Our orders on one side in price-time priority (best price first, then oldest). */
export function byPriority(orders: readonly Working[], side: Side): Working[] {
  return orders.filter((o) => o.side === side).sort((a, b) =>
    a.key !== b.key ? (side === "BUY" ? b.key - a.key : a.key - b.key) : a.seq - b.seq
  );
}

/** A request the matcher cannot price at all (tick and minimum size are the validator's). */
export function invalidRequest(
  request: OrderRequest,
  at: number,
  thresholdMs: number,
): string | null {
  let price: Dec, size: Dec;
  try {
    price = parseDec(request.price);
    size = parseDec(request.size);
  } catch (error) {
    return `invalid order: ${(error as Error).message}`;
  }
  if (price <= ZERO || price >= ONE) return `invalid price ${request.price}: not in (0, 1)`;
  if (Number.isNaN(unitsOf(request.price))) {
    return `invalid price ${request.price}: not plain digits`;
  }
  if (size <= ZERO) return `invalid size ${request.size}: not positive`;
  if (request.postOnly && request.orderType !== "GTC" && request.orderType !== "GTD") {
    return `invalid order: postOnly only with GTC or GTD, not ${request.orderType}`;
  }
  if (request.orderType === "GTD") {
    if (request.expiration === null) return "invalid order: GTD without expiration";
    if (request.expiration * 1000 - thresholdMs <= at) {
      return `invalid expiration ${request.expiration}: not after now + ${thresholdMs / 1000} s`;
    }
  }
  if (mulDec(price, size) <= ZERO) return "invalid order: notional rounds to zero";
  return null;
}

export function levelMap(levels: readonly (readonly [string, string])[]): Map<number, string> {
  const map = new Map<number, string>();
  for (const [price, size] of levels) if (!isZeroSize(size)) map.set(unitsOf(price), size);
  return map;
}

export function minDec(a: Dec, b: Dec): Dec {
  return a < b ? a : b;
}

export function openOrderOf(order: Working): OpenOrder {
  return {
    orderId: order.orderId,
    clientOrderId: order.clientOrderId,
    tokenId: order.tokenId,
    side: order.side,
    orderType: order.orderType,
    price: order.priceText,
    originalSize: formatDec(order.size),
    sizeMatched: formatDec(order.matched),
    status: order.status,
    createdAt: order.createdAt,
  };
}
