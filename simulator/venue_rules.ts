/**
 * The venue's order rules that need nothing but the order and its market's tick, with the
 * venue's error texts: amounts, post-only only on resting types, GTD expiration (more than a
 * minute ahead; none on other types), the tick grid and price range of a resting order (its
 * price `usd / shares` must land exactly on the grid), the 5-share minimum of a resting order
 * and the $1 minimum of a marketable BUY. Balance, duplicates and crossing need the venue's
 * state and are checked there (`venue.ts`).
 *
 * @example
 * ```ts
 * import { checkOrderRules } from "./venue_rules.ts";
 * // checkOrderRules(request, { tickUnits: 100, orderId, nowMs }) → { error } | the order's terms
 * ```
 */
import { formatPrice, PRICE_SCALE } from "./universe.ts";
import { UNITS_PER_HUNDREDTH } from "./venue_accounts.ts";
import { type OrderRequest, shares, units } from "./venue_wire.ts";

/** An order's terms once it passed the rules. */
export interface OrderTerms {
  side: "BUY" | "SELL";
  /** Signed amounts (1e-6 units). */
  maker: bigint;
  taker: bigint;
  /** FOK or FAK. */
  marketable: boolean;
  /** `usd / shares` in price units, rounded down (exact for a resting order). */
  priceUnits: number;
  /** Shares in book hundredths, rounded down. */
  hundredths: number;
  /** Unix seconds, 0 = none. */
  expiration: number;
}

const MIN_RESTING_HUNDREDTHS = 500;
const MIN_MARKETABLE_BUY = 1_000_000n;
const GTD_SAFETY_SECONDS = 60;

/** The order's terms, or the venue's error text. */
export function checkOrderRules(
  request: OrderRequest,
  market: { tickUnits: number; orderId: string; nowMs: number },
): OrderTerms | { error: string } {
  const o = request.order;
  const side = o.side === 0 ? "BUY" : "SELL";
  const maker = BigInt(o.makerAmount);
  const taker = BigInt(o.takerAmount);
  if (maker === 0n || taker === 0n) return { error: "invalid order amounts" };
  const marketable = request.orderType === "FOK" || request.orderType === "FAK";
  if (request.postOnly && marketable) return { error: "invalid post-only order: order type" };
  const expiration = Number(o.expiration);
  if (request.orderType === "GTD") {
    if (expiration <= market.nowMs / 1000 + GTD_SAFETY_SECONDS) {
      return { error: "invalid expiration" };
    }
  } else if (expiration !== 0) return { error: "invalid expiration" };
  const sharesUnits = side === "BUY" ? taker : maker;
  const usdUnits = side === "BUY" ? maker : taker;
  const scale = BigInt(PRICE_SCALE);
  const priceUnits = Number(usdUnits * scale / sharesUnits);
  const tick = market.tickUnits;
  const invalid = `order ${market.orderId} is invalid.`;
  if (!marketable) {
    const price = Number(usdUnits) / Number(sharesUnits);
    if (usdUnits * scale % sharesUnits !== 0n || priceUnits % tick !== 0) {
      return {
        error: `${invalid} Price (${price}) breaks minimum tick size rule: ${formatPrice(tick)}`,
      };
    }
    if (priceUnits < tick || priceUnits > PRICE_SCALE - tick) {
      const range = `min: ${formatPrice(tick)} - max: ${formatPrice(PRICE_SCALE - tick)}`;
      return { error: `invalid price (${price}), ${range}` };
    }
  }
  const hundredths = Number(sharesUnits / UNITS_PER_HUNDREDTH);
  if (!marketable && hundredths < MIN_RESTING_HUNDREDTHS) {
    return { error: `${invalid} Size (${shares(hundredths)}) lower than the minimum: 5` };
  }
  if (marketable && side === "BUY" && maker < MIN_MARKETABLE_BUY) {
    return {
      error: `invalid amount for a marketable BUY order ($${units(maker)}), min size: $1`,
    };
  }
  return { side, maker, taker, marketable, priceUnits, hundredths, expiration };
}
