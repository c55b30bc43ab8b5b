/**
 * The venue's order rules, checked before an order is built or signed, so that a refusal costs
 * no request and carries the venue's own words where they are known (polymarket-api.md §4.3–4.4;
 * docs.polymarket.com "Error Codes"; live refusals quoted by other projects).
 *
 * Checked: the token id is a uint256; price on the tick grid and within [tick, 1 − tick]; size
 * positive and in 0.01-share lots; resting orders (GTC/GTD) at least the market's
 * `orderMinSize`; FOK/FAK orders worth at least $1 (a BUY as the dollars it will send, size ×
 * price floored to cents); post-only only with GTC/GTD; a GTD expiration at least 60 s after
 * `now` (the venue's safety threshold), and no expiration on any other type.
 *
 * Not checked (needs the book or the account): a GTC/GTD that crosses the book is marketable
 * and then also needs $1; balance and allowance. The $1 floor on a marketable SELL is assumed
 * from the BUY rule; only the BUY text has been seen.
 *
 * @example
 * ```ts
 * import { checkOrder } from "./order_rules.ts";
 * const verdict = checkOrder(
 *   { clientOrderId: "c-1", tokenId: "123", side: "BUY", orderType: "GTC", price: "0.525",
 *     size: "10", postOnly: false, expiration: null },
 *   { tickSize: "0.01", minOrderSize: "5", negRisk: false },
 *   Date.now(),
 * );
 * // { ok: false, code: "INVALID_ORDER_MIN_TICK_SIZE",
 * //   error: "order c-1 is invalid. Price (0.525) breaks minimum tick size rule: 0.01" }
 * ```
 */
import type { OrderRequest } from "./broker.ts";
import { type Dec, formatDec, isMultipleOf, mulDec, ONE, parseDec } from "../edge/decimal.ts";
import { isTickSize, type TickSize } from "./order_amounts.ts";

/** What an order needs to know about its market. */
export interface MarketRules {
  readonly tickSize: TickSize;
  /** The smallest resting order in shares (`orderMinSize` / `min_order_size`), decimal text. */
  readonly minOrderSize: string;
  /** Neg-risk markets are signed for the NegRisk exchange. */
  readonly negRisk: boolean;
}

/** Why an order was refused; the venue's own code where it has one. */
export type RuleCode =
  | "INVALID_CLIENT_ORDER_ID"
  | "INVALID_TOKEN_ID"
  | "INVALID_ORDER_MIN_TICK_SIZE"
  | "INVALID_PRICE"
  | "INVALID_SIZE"
  | "INVALID_LOT_SIZE"
  | "INVALID_ORDER_MIN_SIZE"
  | "INVALID_MARKETABLE_AMOUNT"
  | "INVALID_POST_ONLY_ORDER_TYPE"
  | "INVALID_ORDER_EXPIRATION";

/** The verdict: ok, or a code and the text the venue would answer. */
export type RuleVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: RuleCode; readonly error: string };

/** Seconds a GTD expiration must lie beyond now. */
export const GTD_SAFETY_SECONDS = 60;

const OK: RuleVerdict = Object.freeze({ ok: true });
const LOT: Dec = parseDec("0.01");
const CENT: Dec = parseDec("0.01");
const MIN_MARKETABLE: Dec = ONE;
const MAX_UINT256 = (1n << 256n) - 1n;

/**
 * Checks `request` against `market` at `nowMs` (unix ms). Pure: the same inputs always give the
 * same verdict. In the venue's texts `{id}` is the order hash; here it is the client order id.
 */
export function checkOrder(request: OrderRequest, market: MarketRules, nowMs: number): RuleVerdict {
  const { clientOrderId: id, orderType } = request;
  if (id.trim() === "") {
    return refuse("INVALID_CLIENT_ORDER_ID", "client order id must not be empty");
  }
  if (!/^\d{1,78}$/.test(request.tokenId) || BigInt(request.tokenId) > MAX_UINT256) {
    return refuse("INVALID_TOKEN_ID", "Invalid token id");
  }
  if (!isTickSize(market.tickSize)) throw new RangeError(`Unknown tick size: ${market.tickSize}`);
  const tick = parseDec(market.tickSize);
  const price = parseOrNull(request.price);
  if (price === null || !isMultipleOf(price, tick)) {
    return refuse(
      "INVALID_ORDER_MIN_TICK_SIZE",
      `order ${id} is invalid. Price (${request.price}) breaks minimum tick size rule: ${market.tickSize}`,
    );
  }
  if (price < tick || price > ONE - tick) {
    return refuse(
      "INVALID_PRICE",
      `invalid price (${request.price}), min: ${market.tickSize} - max: ${formatDec(ONE - tick)}`,
    );
  }
  const size = parseOrNull(request.size);
  if (size === null || size <= 0n) return refuse("INVALID_SIZE", `invalid size (${request.size})`);
  if (!isMultipleOf(size, LOT)) {
    const places = (request.size.split(".")[1] ?? "").replace(/0+$/, "").length;
    return refuse(
      "INVALID_LOT_SIZE",
      `Size ${request.size} has ${places} decimal places. Maximum lot size is 2`,
    );
  }
  const resting = orderType === "GTC" || orderType === "GTD";
  if (resting) {
    const min = parseDec(market.minOrderSize);
    if (size < min) {
      return refuse(
        "INVALID_ORDER_MIN_SIZE",
        `order ${id} is invalid. Size (${request.size}) lower than the minimum: ${market.minOrderSize}`,
      );
    }
  } else {
    const value = mulDec(size, price);
    const sent = request.side === "BUY" ? value - (value % CENT) : value;
    if (sent < MIN_MARKETABLE) {
      return refuse(
        "INVALID_MARKETABLE_AMOUNT",
        `invalid amount for a marketable ${request.side} order ($${formatDec(sent)}), min size: $1`,
      );
    }
  }
  if (request.postOnly && !resting) {
    return refuse("INVALID_POST_ONLY_ORDER_TYPE", "postOnly is not supported for FOK/FAK orders");
  }
  return checkExpiration(request, nowMs);
}

function checkExpiration(request: OrderRequest, nowMs: number): RuleVerdict {
  const { expiration, orderType } = request;
  if (orderType !== "GTD") {
    return expiration === null ? OK : refuse("INVALID_ORDER_EXPIRATION", "invalid expiration");
  }
  const earliest = Math.floor(nowMs / 1000) + GTD_SAFETY_SECONDS;
  if (expiration === null || !Number.isSafeInteger(expiration) || expiration < earliest) {
    return refuse("INVALID_ORDER_EXPIRATION", "invalid expiration");
  }
  return OK;
}

function refuse(code: RuleCode, error: string): RuleVerdict {
  return { ok: false, code, error };
}

function parseOrNull(text: string): Dec | null {
  try {
    return parseDec(text);
  } catch {
    return null;
  }
}
