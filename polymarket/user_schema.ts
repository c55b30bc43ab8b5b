/**
 * Account-side schemas: user-websocket `order`/`trade` events, CLOB `/data/trades` items and
 * Data API v2 positions. Ids on these payloads are kept as plain strings (sanitized samples
 * use short placeholders).
 *
 * @example
 * ```ts
 * import { parseUserMessage } from "./user_schema.ts";
 * parseUserMessage({ event_type: "order" }).success; // false
 * ```
 */
import { z } from "zod";
import { decimalSchema, type DecimalString, type TokenId, tokenIdSchema } from "./ids.ts";
import { optionalDecimalSchema, optionalTextSchema, unixMsSchema } from "./_wire.ts";

const side = z.enum(["BUY", "SELL"]);

/** A user-channel order event (PLACEMENT, UPDATE, CANCELLATION). */
export interface UserOrderEvent {
  kind: "order";
  orderId: string;
  tokenId: TokenId;
  market: string;
  side: "BUY" | "SELL";
  price: DecimalString;
  originalSize: DecimalString | null;
  sizeMatched: DecimalString | null;
  outcome: string | null;
  type: string;
  /** Free text, not a closed enum (e.g. "CANCELED_order couldn't be fully filled…"). */
  status: string | null;
  orderType: string | null;
  timestamp: number;
}

const orderSchema = z.object({
  id: z.string(),
  asset_id: tokenIdSchema,
  market: z.string(),
  side,
  price: decimalSchema,
  original_size: optionalDecimalSchema,
  size_matched: optionalDecimalSchema,
  outcome: optionalTextSchema,
  type: z.string(),
  status: optionalTextSchema,
  order_type: optionalTextSchema,
  timestamp: unixMsSchema,
}).transform((o): UserOrderEvent => ({
  kind: "order",
  orderId: o.id,
  tokenId: o.asset_id,
  market: o.market,
  side: o.side,
  price: o.price,
  originalSize: o.original_size,
  sizeMatched: o.size_matched,
  outcome: o.outcome,
  type: o.type,
  status: o.status,
  orderType: o.order_type,
  timestamp: o.timestamp,
})) satisfies z.ZodType<UserOrderEvent>;

/** A matched trade (user channel `trade` or CLOB `/data/trades`). */
export interface UserTrade {
  kind: "user_trade";
  tradeId: string;
  takerOrderId: string;
  market: string;
  tokenId: TokenId;
  side: "BUY" | "SELL";
  size: DecimalString;
  price: DecimalString;
  status: string;
  matchTime: Date | null;
  traderSide: string | null;
  transactionHash: string | null;
  makerOrders: {
    orderId: string;
    tokenId: TokenId;
    matchedAmount: DecimalString;
    price: DecimalString;
  }[];
}

const tradeSchema = z.object({
  id: z.string(),
  taker_order_id: z.string(),
  market: z.string(),
  asset_id: tokenIdSchema,
  side,
  size: decimalSchema,
  price: decimalSchema,
  status: z.string(),
  match_time: z.union([z.string(), z.number()]).nullish(),
  trader_side: optionalTextSchema,
  transaction_hash: optionalTextSchema,
  maker_orders: z.array(z.object({
    order_id: z.string(),
    asset_id: tokenIdSchema,
    matched_amount: decimalSchema,
    price: decimalSchema,
  })).nullish(),
}).transform((t): UserTrade => ({
  kind: "user_trade",
  tradeId: t.id,
  takerOrderId: t.taker_order_id,
  market: t.market,
  tokenId: t.asset_id,
  side: t.side,
  size: t.size,
  price: t.price,
  status: t.status,
  matchTime: t.match_time == null || t.match_time === ""
    ? null
    : new Date(Number(t.match_time) * 1000),
  traderSide: t.trader_side,
  transactionHash: t.transaction_hash,
  makerOrders: (t.maker_orders ?? []).map((m) => ({
    orderId: m.order_id,
    tokenId: m.asset_id,
    matchedAmount: m.matched_amount,
    price: m.price,
  })),
})) satisfies z.ZodType<UserTrade>;

/** Schema of a CLOB `/data/trades` item (same shape as the user-channel trade). */
export const userTradeSchema = tradeSchema;

/** Parses one user-channel message, routing on `event_type` (or `type` when it is missing). */
export function parseUserMessage(
  raw: unknown,
): z.ZodSafeParseResult<UserOrderEvent | UserTrade> {
  const o = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const isTrade = o.event_type === "trade" || o.type === "TRADE";
  return isTrade ? tradeSchema.safeParse(raw) : orderSchema.safeParse(raw);
}

/** A Data API v2 position. */
export interface Position {
  proxyWallet: string;
  tokenId: TokenId;
  conditionId: string;
  size: DecimalString;
  avgPrice: DecimalString | null;
  currentPrice: DecimalString | null;
  status: string | null;
  outcome: string | null;
}

/** Wire schema of a v2 position. */
export const positionV2Schema = z.object({
  proxy_wallet: z.string(),
  token_id: tokenIdSchema,
  condition_id: z.string(),
  current_size: decimalSchema,
  avg_price: optionalDecimalSchema,
  current_price: optionalDecimalSchema,
  status: optionalTextSchema,
  outcome: optionalTextSchema,
}).transform((p): Position => ({
  proxyWallet: p.proxy_wallet,
  tokenId: p.token_id,
  conditionId: p.condition_id,
  size: p.current_size,
  avgPrice: p.avg_price,
  currentPrice: p.current_price,
  status: p.status,
  outcome: p.outcome,
})) satisfies z.ZodType<Position>;
