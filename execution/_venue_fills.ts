/**
 * The venue's words turned into the broker's (pure): a trade (`/data/trades`, user channel)
 * into our fills, and the venue's order status texts into `OrderStatus`.
 *
 * A trade's top level describes the taker; our fill as taker is that top level
 * (`trader_side: "TAKER"`), our fills as maker are the `maker_orders` entries that carry our API
 * key or maker address. The fill id is `trade id:order id`, unique even when both sides of one
 * trade are ours and the same however often the trade is re-sent (MATCHED → MINED →
 * CONFIRMED). A FAILED trade moved nothing and gives no fill. The taker's fee is not on the
 * trade: it is computed from `fee_rate_bps` as shares × rate × p(1 − p) (exponent 1, floored
 * to 5 places as `edge/fees.ts` does); a maker pays none.
 *
 * @example
 * ```ts ignore
 * const fills = fillsOfTrade(trade, { apiKey, address }, (orderId) => clientIds.get(orderId));
 * ```
 */
import { formatDec, parseDec } from "../edge/decimal.ts";
import { takerFee } from "../edge/fees.ts";
import type { WireTrade } from "../polymarket/trading_schema.ts";
import type { Fill, OrderStatus, Side } from "./broker.ts";

/** Whose fills to pick out. */
export interface Owner {
  readonly apiKey: string;
  /** The order's maker (funder) address. */
  readonly address: string;
}

/** Our fills in one trade, in the trade's order. */
export function fillsOfTrade(
  trade: WireTrade,
  owner: Owner,
  clientOrderIdOf: (orderId: string) => string | null,
): Fill[] {
  if (trade.status === "FAILED") return [];
  const at = trade.matchTime * 1000;
  const fills: Fill[] = [];
  const taker = trade.traderSide === "TAKER" ||
    (trade.traderSide === null && clientOrderIdOf(trade.takerOrderId) !== null);
  if (taker) {
    const fee = { rate: parseDec(trade.feeRateBps) / 10_000n, exponent: 1 };
    fills.push({
      fillId: `${trade.tradeId}:${trade.takerOrderId}`,
      orderId: trade.takerOrderId,
      clientOrderId: clientOrderIdOf(trade.takerOrderId),
      tokenId: trade.tokenId,
      side: trade.side,
      price: trade.price,
      size: trade.size,
      fee: formatDec(takerFee(parseDec(trade.size), parseDec(trade.price), fee)),
      liquidity: "taker",
      at,
    });
  }
  const address = owner.address.toLowerCase();
  for (const m of trade.makerOrders) {
    const ours = m.owner === owner.apiKey || m.makerAddress?.toLowerCase() === address;
    if (!ours || (taker && m.orderId === trade.takerOrderId)) continue;
    fills.push({
      fillId: `${trade.tradeId}:${m.orderId}`,
      orderId: m.orderId,
      clientOrderId: clientOrderIdOf(m.orderId),
      tokenId: m.tokenId,
      side: m.side ?? makerSide(trade.side, m.tokenId === trade.tokenId),
      price: m.price,
      size: m.matchedAmount,
      fee: "0",
      liquidity: "maker",
      at,
    });
  }
  return fills;
}

/** A maker on the taker's token takes the other side; on the complement, the same side. */
function makerSide(takerSide: Side, sameToken: boolean): Side {
  if (!sameToken) return takerSide;
  return takerSide === "BUY" ? "SELL" : "BUY";
}

const KNOWN: ReadonlySet<string> = new Set([
  "LIVE",
  "MATCHED",
  "CANCELED",
  "CANCELED_MARKET_RESOLVED",
  "INVALID",
]);

/**
 * The venue's status text as an `OrderStatus`: the order states in either case; the submit
 * answer's `delayed`/`unmatched` (accepted, not yet matched) as LIVE; free text that starts
 * with `CANCELED_` (a FOK/FAK killed on arrival, with the reason) as REJECTED; null for
 * anything else.
 */
export function orderStatusOf(text: string): OrderStatus | null {
  const upper = text.toUpperCase();
  if (KNOWN.has(upper)) return upper as OrderStatus;
  if (upper === "DELAYED" || upper === "UNMATCHED") return "LIVE";
  if (upper.startsWith("CANCELED_")) return "REJECTED";
  return null;
}
