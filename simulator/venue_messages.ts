/**
 * Wire objects of the simulated venue's private side: `GET /data/orders` open orders,
 * `GET /data/trades` trades, and the user channel's `order` (PLACEMENT / UPDATE /
 * CANCELLATION) and `trade` (MATCHED → MINED → CONFIRMED) messages, with the venue's field
 * names (timestamps: unix seconds as strings, `timestamp` in ms).
 *
 * @example
 * ```ts
 * import { openOrderWire } from "./venue_messages.ts";
 * // openOrderWire(order).status; // "LIVE"
 * ```
 */
import { formatPrice } from "./universe.ts";
import type { VenueOrder, VenueTrade } from "./venue.ts";
import { shares, type WireObject } from "./venue_wire.ts";

const OUTCOMES = ["Yes", "No"] as const;
const COUNTERPARTY = "0x000000000000000000000000000000000000c0de";

/** `GET /data/orders` element. */
export function openOrderWire(o: VenueOrder): WireObject {
  return {
    id: o.id,
    status: o.status,
    owner: o.owner.apiKey,
    maker_address: o.maker,
    market: o.market.conditionId,
    asset_id: o.market.tokenIds[o.outcome],
    side: o.side,
    original_size: shares(o.originalSize),
    size_matched: shares(o.matched),
    price: formatPrice(o.priceUnits),
    associate_trades: [...o.trades],
    outcome: OUTCOMES[o.outcome],
    created_at: Math.floor(o.createdAtMs / 1000),
    expiration: String(o.expiration),
    order_type: o.orderType,
  };
}

/** `GET /data/trades` element (the account's side of one match). */
export function tradeWire(t: VenueTrade): WireObject {
  const o = t.order;
  const asset = o.market.tokenIds[o.outcome];
  const opposite = o.side === "BUY" ? "SELL" : "BUY";
  const maker = t.traderSide === "MAKER"
    ? { order_id: o.id, owner: o.owner.apiKey, maker_address: o.maker, side: o.side }
    : { order_id: t.makerOrderId, owner: "", maker_address: COUNTERPARTY, side: opposite };
  return {
    id: t.id,
    taker_order_id: t.takerOrderId,
    market: o.market.conditionId,
    asset_id: asset,
    side: t.traderSide === "TAKER" ? o.side : opposite,
    size: shares(t.hundredths),
    fee_rate_bps: t.traderSide === "TAKER" ? t.feeRateBps : "0",
    price: formatPrice(t.priceUnits),
    status: t.status,
    match_time: String(Math.floor(t.matchedAtMs / 1000)),
    last_update: String(Math.floor(t.lastUpdateMs / 1000)),
    outcome: OUTCOMES[o.outcome],
    bucket_index: 0,
    owner: o.owner.apiKey,
    maker_address: o.maker,
    maker_orders: [{
      ...maker,
      matched_amount: shares(t.hundredths),
      price: formatPrice(t.priceUnits),
      fee_rate_bps: "0",
      asset_id: asset,
      outcome: OUTCOMES[o.outcome],
    }],
    transaction_hash: t.transactionHash,
    trader_side: t.traderSide,
  };
}

/** User-channel `order` message. */
export function userOrderMessage(
  o: VenueOrder,
  type: "PLACEMENT" | "UPDATE" | "CANCELLATION",
  nowMs: number,
): WireObject {
  const open = openOrderWire(o);
  return {
    event_type: "order",
    type,
    id: o.id,
    asset_id: open.asset_id,
    market: open.market,
    side: o.side,
    price: open.price,
    original_size: open.original_size,
    size_matched: open.size_matched,
    outcome: open.outcome,
    owner: o.owner.apiKey,
    order_owner: o.owner.apiKey,
    maker_address: o.maker,
    order_type: o.orderType,
    status: o.status,
    associate_trades: open.associate_trades,
    created_at: String(open.created_at),
    expiration: open.expiration,
    timestamp: String(nowMs),
  };
}

/** User-channel `trade` message (re-sent on every status change). */
export function userTradeMessage(t: VenueTrade, nowMs: number): WireObject {
  return {
    event_type: "trade",
    type: "TRADE",
    ...tradeWire(t),
    trade_owner: t.order.owner.apiKey,
    timestamp: String(nowMs),
  };
}
