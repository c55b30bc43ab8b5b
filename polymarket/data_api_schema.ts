/**
 * Data API trade schemas: v1 `/trades` (bare camelCase array) and v2 `/v2/trades`
 * (`{data, pagination}` envelope, snake_case, cursor-only).
 *
 * @example
 * ```ts
 * import { parseTradesV1 } from "./data_api_schema.ts";
 * parseTradesV1([], new Date()).items; // []
 * ```
 */
import { z } from "zod";
import {
  type ConditionId,
  conditionIdSchema,
  decimalSchema,
  type DecimalString,
  storableTextSchema,
  type TokenId,
  tokenIdSchema,
} from "./ids.ts";
import { optionalTextSchema, unixSecondsSchema } from "./_wire.ts";
import { type Batch, parseBatch } from "./batch.ts";

/** One historical trade from the Data API. */
export interface DataApiTrade {
  proxyWallet: string;
  side: "BUY" | "SELL";
  tokenId: TokenId;
  conditionId: ConditionId;
  size: DecimalString;
  price: DecimalString;
  timestamp: Date;
  outcome: string | null;
  /** `null` when unlabelled (v2 sentinel 999). */
  outcomeIndex: number | null;
  transactionHash: string | null;
  slug: string | null;
}

const side = z.enum(["BUY", "SELL"]);
const outcomeIndex = z.number().int().nullish().transform((v) =>
  v === undefined || v === null || v === 999 ? null : v
);

/** Wire schema of a v1 trade. */
export const tradeV1Schema = z.object({
  proxyWallet: storableTextSchema(),
  side,
  asset: tokenIdSchema,
  conditionId: conditionIdSchema,
  size: decimalSchema,
  price: decimalSchema,
  timestamp: unixSecondsSchema,
  outcome: optionalTextSchema,
  outcomeIndex,
  transactionHash: optionalTextSchema,
  slug: optionalTextSchema,
}).transform((t): DataApiTrade => ({
  proxyWallet: t.proxyWallet,
  side: t.side,
  tokenId: t.asset,
  conditionId: t.conditionId,
  size: t.size,
  price: t.price,
  timestamp: t.timestamp,
  outcome: t.outcome,
  outcomeIndex: t.outcomeIndex,
  transactionHash: t.transactionHash,
  slug: t.slug,
})) satisfies z.ZodType<DataApiTrade>;

/** Wire schema of a v2 trade. */
export const tradeV2Schema = z.object({
  proxy_wallet: storableTextSchema(),
  side,
  token_id: tokenIdSchema,
  condition_id: conditionIdSchema,
  size: decimalSchema,
  price: decimalSchema,
  timestamp: unixSecondsSchema,
  outcome: optionalTextSchema,
  outcome_index: outcomeIndex,
  transaction_hash: optionalTextSchema,
  slug: optionalTextSchema,
}).transform((t): DataApiTrade => ({
  proxyWallet: t.proxy_wallet,
  side: t.side,
  tokenId: t.token_id,
  conditionId: t.condition_id,
  size: t.size,
  price: t.price,
  timestamp: t.timestamp,
  outcome: t.outcome,
  outcomeIndex: t.outcome_index,
  transactionHash: t.transaction_hash,
  slug: t.slug,
})) satisfies z.ZodType<DataApiTrade>;

/** Parses a v1 `/trades` bare array. */
export function parseTradesV1(raw: unknown, _receivedAt: Date): Batch<DataApiTrade> {
  return parseBatch(raw, tradeV1Schema, "trades");
}

/** A v2 page: items plus the cursor of the next page (null at the end). */
export interface DataApiPage<T> extends Batch<T> {
  nextCursor: string | null;
  hasMore: boolean;
  /** Rows that are not of the kind asked for (e.g. rebates in `/v2/activity`): not rejects. */
  skipped: number;
}

const v2Envelope = z.object({
  // `data: null` is the documented empty result.
  data: z.array(z.unknown()).nullable(),
  pagination: z.object({
    has_more: z.boolean().nullish(),
    next_cursor: z.string().nullish(),
  }).nullish(),
});

/**
 * Parses any v2 `{data, pagination}` envelope with `item` for the elements; rows for which
 * `skip` is true are counted in `skipped` and not parsed.
 */
export function parseV2Page<T>(
  raw: unknown,
  item: z.ZodType<T>,
  skip: (row: unknown) => boolean = () => false,
): DataApiPage<T> {
  const env = v2Envelope.safeParse(raw);
  if (!env.success) {
    return {
      items: [],
      rejects: [{ path: "$", reason: "not a v2 page", raw }],
      nextCursor: null,
      hasMore: false,
      skipped: 0,
    };
  }
  const cursor = env.data.pagination?.next_cursor;
  const rows = env.data.data ?? [];
  const kept = rows.filter((r) => !skip(r));
  const batch = parseBatch(kept, item, "data");
  return {
    ...batch,
    nextCursor: cursor ? cursor : null,
    hasMore: env.data.pagination?.has_more ?? false,
    skipped: rows.length - kept.length,
  };
}

/**
 * True for a `/v2/activity` row that is not a trade: rebates, merges, conversions, … carry a
 * `type` other than TRADE and empty `condition_id`/`token_id`/`side`.
 */
export function isNonTradeRow(row: unknown): boolean {
  if (typeof row !== "object" || row === null || Array.isArray(row)) return false;
  const r = row as Record<string, unknown>;
  if (typeof r.type === "string") return r.type !== "TRADE";
  return r.condition_id === "" && r.token_id === "" && (r.side === "" || r.side == null);
}

/** Parses a v2 `/v2/trades` (or `/v2/activity`) page; non-trade rows are skipped. */
export function parseTradesV2(raw: unknown, _receivedAt: Date): DataApiPage<DataApiTrade> {
  return parseV2Page(raw, tradeV2Schema, isNonTradeRow);
}
