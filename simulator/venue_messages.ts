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
import type { ApiKeyOwner } from "./clob_auth.ts";
import { formatPrice, type SimMarket } from "./universe.ts";
import type { VenueOrder } from "./venue.ts";
import type { VenueTrade } from "./venue_trades.ts";
import { shares, type WireObject } from "./venue_wire.ts";

const OUTCOMES = ["Yes", "No"] as const;

/** The address that stands for the simulated crowd in trade objects. */
export const CROWD_ADDRESS = "0x000000000000000000000000000000000000c0de";

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

/**
 * `GET /data/trades` element. The top level describes the taker (its order, token, side, size
 * and price at this level, its address); `maker_orders` lists the makers: for a TAKER trade the
 * crowd's order it hit, for a MAKER trade the account's own order with its own fill.
 */
export function tradeWire(t: VenueTrade): WireObject {
  const o = t.order;
  const m = o.market;
  const own = {
    asset_id: m.tokenIds[o.outcome],
    outcome: OUTCOMES[o.outcome],
    matched_amount: shares(t.hundredths),
    price: formatPrice(t.priceUnits),
    fee_rate_bps: "0",
  };
  const maker = t.traderSide === "MAKER"
    ? { order_id: o.id, owner: o.owner.apiKey, maker_address: o.maker, side: o.side, ...own }
    : {
      order_id: t.counterOrderId,
      owner: "",
      maker_address: CROWD_ADDRESS,
      side: o.side === "BUY" ? "SELL" : "BUY",
      ...own,
    };
  return {
    id: t.id,
    taker_order_id: t.taker.orderId,
    market: m.conditionId,
    asset_id: m.tokenIds[t.taker.outcome],
    side: t.taker.side,
    size: shares(t.taker.hundredths),
    fee_rate_bps: t.traderSide === "TAKER" ? t.feeRateBps : "0",
    price: formatPrice(t.taker.priceUnits),
    status: t.status,
    match_time: String(Math.floor(t.matchedAtMs / 1000)),
    last_update: String(Math.floor(t.lastUpdateMs / 1000)),
    outcome: OUTCOMES[t.taker.outcome],
    bucket_index: 0,
    owner: o.owner.apiKey,
    maker_address: t.taker.address,
    maker_orders: [maker],
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

/**
 * User-channel CANCELLATION of a FOK or FAK the venue killed on arrival (its REST answer is an
 * error): the reason in the free-text status, empty `size_matched`, `outcome` and
 * `created_at`, as in `fixtures/ws-user/order_fok_killed_sanitized.json`.
 */
export function killedOrderMessage(o: {
  id: string;
  owner: ApiKeyOwner;
  maker: string;
  market: SimMarket;
  outcome: 0 | 1;
  side: "BUY" | "SELL";
  priceUnits: number;
  hundredths: number;
  orderType: string;
  status: string;
  nowMs: number;
}): WireObject {
  return {
    event_type: "order",
    type: "CANCELLATION",
    id: o.id,
    asset_id: o.market.tokenIds[o.outcome],
    market: o.market.conditionId,
    side: o.side,
    price: formatPrice(o.priceUnits),
    original_size: shares(o.hundredths),
    size_matched: "",
    outcome: "",
    owner: o.owner.apiKey,
    order_owner: o.owner.apiKey,
    maker_address: o.maker.toLowerCase(),
    order_type: o.orderType,
    status: o.status,
    associate_trades: [],
    created_at: "",
    expiration: "0",
    timestamp: String(o.nowMs),
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
