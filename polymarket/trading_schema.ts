/**
 * The CLOB's private answers as the venue broker reads them (polymarket-api.md §4.3, §4.5, §7):
 * `POST /order` (success or `{error}`), the cancel answer, `GET /data/orders` and
 * `GET /data/order/{id}` open orders, `GET /data/trades` trades (with each maker order's owner
 * and side, which say which fills are ours), the `{data, next_cursor}` page envelope, and the
 * user channel's `order` and `trade` messages. Wire names stay verbatim inside the schemas;
 * the outputs are camelCase. (`user_schema.ts` reads the same payloads for `pmcollect inspect`
 * and drops the maker owners, so the broker has its own.)
 *
 * @example
 * ```ts
 * import { parsePostOrderAnswer } from "./trading_schema.ts";
 * parsePostOrderAnswer({ error: "invalid tick size" }).success; // true
 * ```
 */
import { z } from "zod";
import { decimalSchema, type DecimalString, type TokenId, tokenIdSchema } from "./ids.ts";
import { optionalDecimalSchema, optionalTextSchema, unixMsSchema } from "./_wire.ts";

const side = z.enum(["BUY", "SELL"]);
/** Unix seconds as a number or digit string; "" and null are unknown (0). */
const unixSeconds = z.union([z.string(), z.number()]).nullish().transform((v) =>
  v === null || v === undefined || v === "" || !Number.isFinite(Number(v)) ? 0 : Number(v)
);

/** `POST /order`: accepted (`success`), a leg refused inside 200 (`errorMsg`), or `{error}`. */
export type PostOrderAnswer =
  | {
    readonly kind: "placed";
    readonly success: boolean;
    readonly orderId: string;
    /** live, matched, delayed, unmatched (lower case on the wire). */
    readonly status: string;
    readonly errorMsg: string;
    readonly tradeIds: readonly string[];
    /**
     * What the order gave and got when it was placed (a BUY gives collateral for shares, a SELL
     * shares for collateral); null when absent or unreadable.
     */
    readonly makingAmount: DecimalString | null;
    readonly takingAmount: DecimalString | null;
  }
  | { readonly kind: "error"; readonly error: string };

const placedSchema = z.object({
  success: z.boolean(),
  orderID: z.string().nullish(),
  status: z.string().nullish(),
  errorMsg: z.string().nullish(),
  tradeIDs: z.array(z.string()).nullish(),
  // Only a shortcut for the matched size: an unreadable amount is no reason to doubt the answer.
  makingAmount: optionalDecimalSchema.catch(null),
  takingAmount: optionalDecimalSchema.catch(null),
}).transform((a): PostOrderAnswer => ({
  kind: "placed",
  success: a.success,
  orderId: a.orderID ?? "",
  status: a.status ?? "",
  errorMsg: a.errorMsg ?? "",
  tradeIds: a.tradeIDs ?? [],
  makingAmount: a.makingAmount,
  takingAmount: a.takingAmount,
}));

const errorSchema = z.object({ error: z.string() }).transform((e): PostOrderAnswer => ({
  kind: "error",
  error: e.error,
}));

/** Parses a `POST /order` answer (either shape, whatever the HTTP status). */
export function parsePostOrderAnswer(raw: unknown): z.ZodSafeParseResult<PostOrderAnswer> {
  return z.union([placedSchema, errorSchema]).safeParse(raw);
}

/** `{canceled, not_canceled}` of every cancel route. */
export interface CancelAnswer {
  readonly canceled: string[];
  readonly notCanceled: Record<string, string>;
}

/** Wire schema of a cancel answer. */
export const cancelAnswerSchema = z.object({
  canceled: z.array(z.string()).nullish(),
  not_canceled: z.record(z.string(), z.string()).nullish(),
}).transform((a): CancelAnswer => ({
  canceled: a.canceled ?? [],
  notCanceled: a.not_canceled ?? {},
})) satisfies z.ZodType<CancelAnswer>;

/** An open order (`/data/orders`, `/data/order/{id}`). */
export interface WireOpenOrder {
  readonly orderId: string;
  readonly status: string;
  readonly tokenId: TokenId;
  readonly market: string;
  readonly side: "BUY" | "SELL";
  readonly price: DecimalString;
  readonly originalSize: DecimalString;
  readonly sizeMatched: DecimalString;
  readonly orderType: string | null;
  /** Unix seconds; 0 when unknown. */
  readonly createdAt: number;
}

/** Wire schema of an open order. */
export const openOrderSchema = z.object({
  id: z.string(),
  status: z.string(),
  asset_id: tokenIdSchema,
  market: z.string(),
  side,
  price: decimalSchema,
  original_size: decimalSchema,
  size_matched: optionalDecimalSchema,
  order_type: optionalTextSchema,
  created_at: unixSeconds,
}).transform((o): WireOpenOrder => ({
  orderId: o.id,
  status: o.status,
  tokenId: o.asset_id,
  market: o.market,
  side: o.side,
  price: o.price,
  originalSize: o.original_size,
  sizeMatched: o.size_matched ?? ("0" as DecimalString),
  orderType: o.order_type,
  createdAt: o.created_at,
})) satisfies z.ZodType<WireOpenOrder>;

/** One maker order inside a trade. */
export interface WireMakerOrder {
  readonly orderId: string;
  /** The maker's API key ("" for the venue's other users). */
  readonly owner: string | null;
  readonly makerAddress: string | null;
  readonly tokenId: TokenId;
  /** Absent on some venue payloads. */
  readonly side: "BUY" | "SELL" | null;
  readonly matchedAmount: DecimalString;
  readonly price: DecimalString;
}

/** A trade (`/data/trades`, user channel `trade`): the top level describes the taker. */
export interface WireTrade {
  readonly tradeId: string;
  readonly takerOrderId: string;
  readonly tokenId: TokenId;
  readonly side: "BUY" | "SELL";
  readonly size: DecimalString;
  readonly price: DecimalString;
  /** MATCHED, MINED, CONFIRMED, RETRYING, FAILED. */
  readonly status: string;
  /** Unix seconds; 0 when unknown. */
  readonly matchTime: number;
  /** The taker's fee rate in basis points ("0" when not given). */
  readonly feeRateBps: string;
  readonly traderSide: string | null;
  readonly makerOrders: readonly WireMakerOrder[];
}

/** Wire schema of a trade. */
export const tradeSchema = z.object({
  id: z.string(),
  taker_order_id: z.string(),
  asset_id: tokenIdSchema,
  side,
  size: decimalSchema,
  price: decimalSchema,
  status: z.string(),
  match_time: unixSeconds,
  fee_rate_bps: z.union([z.string(), z.number()]).nullish(),
  trader_side: optionalTextSchema,
  maker_orders: z.array(z.object({
    order_id: z.string(),
    owner: z.string().nullish(),
    maker_address: z.string().nullish(),
    asset_id: tokenIdSchema,
    side: side.nullish(),
    matched_amount: decimalSchema,
    price: decimalSchema,
  })).nullish(),
}).transform((t): WireTrade => ({
  tradeId: t.id,
  takerOrderId: t.taker_order_id,
  tokenId: t.asset_id,
  side: t.side,
  size: t.size,
  price: t.price,
  status: t.status,
  matchTime: t.match_time,
  feeRateBps: t.fee_rate_bps == null || t.fee_rate_bps === "" ? "0" : String(t.fee_rate_bps),
  traderSide: t.trader_side,
  makerOrders: (t.maker_orders ?? []).map((m) => ({
    orderId: m.order_id,
    owner: m.owner ?? null,
    makerAddress: m.maker_address ?? null,
    tokenId: m.asset_id,
    side: m.side ?? null,
    matchedAmount: m.matched_amount,
    price: m.price,
  })),
})) satisfies z.ZodType<WireTrade>;

/** The page envelope; items are parsed one by one by the caller (a bad one is skipped). */
export const pageSchema = z.object({
  data: z.array(z.unknown()).nullish(),
  next_cursor: z.string().nullish(),
}).transform((p) => ({ data: p.data ?? [], nextCursor: p.next_cursor ?? null }));

/** The cursor the venue sends on its last page. */
export const END_CURSOR = "LTE=";

/** A user-channel `order` message. */
export interface UserChannelOrder {
  readonly kind: "order";
  /** PLACEMENT, UPDATE, CANCELLATION. */
  readonly type: string;
  readonly order: WireOpenOrder;
  /** Unix ms. */
  readonly timestamp: number;
}

/** A user-channel `trade` message. */
export interface UserChannelTrade {
  readonly kind: "trade";
  readonly trade: WireTrade;
  /** Unix ms. */
  readonly timestamp: number;
}

const envelope = z.object({ type: z.string(), timestamp: unixMsSchema });

const userOrderSchema = z.intersection(envelope, openOrderSchema).transform((
  m,
): UserChannelOrder => {
  const { type, timestamp, ...order } = m;
  return { kind: "order", type, order, timestamp };
});

const userTradeSchema = z.intersection(envelope, tradeSchema).transform((
  m,
): UserChannelTrade => {
  const { type: _type, timestamp, ...trade } = m;
  return { kind: "trade", trade, timestamp };
});

/** Parses one user-channel message, routing on `event_type` (else `type: "TRADE"`). */
export function parseUserChannelMessage(
  raw: unknown,
): z.ZodSafeParseResult<UserChannelOrder | UserChannelTrade> {
  const o = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const isTrade = o.event_type === "trade" || o.type === "TRADE";
  return isTrade ? userTradeSchema.safeParse(raw) : userOrderSchema.safeParse(raw);
}
