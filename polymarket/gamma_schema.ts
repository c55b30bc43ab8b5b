/**
 * Gamma wire schemas: markets, keyset pages and legacy arrays (events live in
 * `gamma_event_schema.ts`).
 *
 * @example
 * ```ts
 * import { parseGammaMarketsPage } from "./gamma_schema.ts";
 * const page = parseGammaMarketsPage({ markets: [], next_cursor: "" }, new Date());
 * page.nextCursor; // null
 * ```
 */
import { z } from "zod";
import {
  type ConditionId,
  conditionIdSchema,
  decimalSchema,
  type DecimalString,
  type EventId,
  eventIdSchema,
  type MarketId,
  marketIdSchema,
  storableTextSchema,
  type TokenId,
  tokenIdSchema,
} from "./ids.ts";
import {
  jsonStringArray,
  optionalBoolSchema,
  optionalDecimalSchema,
  optionalId,
  optionalLooseIdSchema,
  optionalSignedDecimalTextSchema,
  optionalTextSchema,
  timestampSchema,
} from "./_wire.ts";
import { type Batch, parseBatch, parseBatchYielding, type Reject } from "./batch.ts";

/** Fee schedule of a market (`feeSchedule`). */
export interface GammaFeeSchedule {
  exponent: DecimalString | null;
  rate: DecimalString | null;
  takerOnly: boolean | null;
  rebateRate: DecimalString | null;
}

/** A Gamma market as stored. Prices and sizes are exact decimals. */
export interface GammaMarket {
  id: MarketId;
  question: string | null;
  conditionId: ConditionId | null;
  questionId: string | null;
  slug: string | null;
  outcomes: string[];
  outcomePrices: DecimalString[];
  clobTokenIds: TokenId[];
  umaResolutionStatus: string | null;
  umaResolutionStatuses: string[];
  active: boolean | null;
  closed: boolean | null;
  archived: boolean | null;
  acceptingOrders: boolean | null;
  enableOrderBook: boolean | null;
  negRisk: boolean;
  negRiskMarketId: string | null;
  groupItemTitle: string | null;
  groupItemThreshold: string | null;
  orderPriceMinTickSize: DecimalString | null;
  orderMinSize: DecimalString | null;
  volume: DecimalString | null;
  liquidity: DecimalString | null;
  /** Gamma's cached top of book and last trade, for outcome 0 (advisory, not a live book). */
  bestBid: DecimalString | null;
  bestAsk: DecimalString | null;
  lastTradePrice: DecimalString | null;
  volume24hr: DecimalString | null;
  feesEnabled: boolean | null;
  feeType: string | null;
  feeSchedule: GammaFeeSchedule | null;
  startDate: Date | null;
  endDate: Date | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  closedTime: Date | null;
  umaEndDate: Date | null;
  eventIds: EventId[];
  /** Rules text. */
  description: string | null;
  resolutionSource: string | null;
  /** The "Other" member of an augmented neg-risk group. */
  negRiskOther: boolean | null;
  makerBaseFee: DecimalString | null;
  takerBaseFee: DecimalString | null;
  gameId: string | null;
  sportsMarketType: string | null;
  /** Sports line (spread/total), signed decimal text. */
  line: string | null;
  gameStartTime: Date | null;
}

const feeScheduleSchema = z.object({
  exponent: optionalDecimalSchema,
  rate: optionalDecimalSchema,
  takerOnly: optionalBoolSchema,
  rebateRate: optionalDecimalSchema,
});

/** Wire schema of one Gamma market object. */
export const gammaMarketSchema = z.object({
  id: marketIdSchema,
  question: optionalTextSchema,
  conditionId: optionalId(conditionIdSchema),
  questionID: optionalTextSchema,
  slug: optionalTextSchema,
  outcomes: jsonStringArray(storableTextSchema()),
  outcomePrices: jsonStringArray(decimalSchema),
  clobTokenIds: jsonStringArray(tokenIdSchema),
  /** `version: "v2"` markets carry their token ids here while `clobTokenIds` is null. */
  positionIds: jsonStringArray(tokenIdSchema),
  umaResolutionStatus: optionalTextSchema,
  umaResolutionStatuses: jsonStringArray(storableTextSchema()),
  active: optionalBoolSchema,
  closed: optionalBoolSchema,
  archived: optionalBoolSchema,
  acceptingOrders: optionalBoolSchema,
  enableOrderBook: optionalBoolSchema,
  negRisk: optionalBoolSchema,
  negRiskMarketID: optionalTextSchema,
  groupItemTitle: optionalTextSchema,
  groupItemThreshold: z.union([storableTextSchema(), z.number()]).nullish(),
  orderPriceMinTickSize: optionalDecimalSchema,
  orderMinSize: optionalDecimalSchema,
  volume: optionalDecimalSchema,
  liquidity: optionalDecimalSchema,
  bestBid: optionalDecimalSchema,
  bestAsk: optionalDecimalSchema,
  lastTradePrice: optionalDecimalSchema,
  volume24hr: optionalDecimalSchema,
  feesEnabled: optionalBoolSchema,
  feeType: optionalTextSchema,
  feeSchedule: feeScheduleSchema.nullish(),
  startDate: timestampSchema,
  endDate: timestampSchema,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  closedTime: timestampSchema,
  umaEndDate: timestampSchema,
  events: z.array(z.object({ id: eventIdSchema })).nullish(),
  description: optionalTextSchema,
  resolutionSource: optionalTextSchema,
  negRiskOther: optionalBoolSchema,
  makerBaseFee: optionalDecimalSchema,
  takerBaseFee: optionalDecimalSchema,
  gameId: optionalLooseIdSchema,
  sportsMarketType: optionalTextSchema,
  line: optionalSignedDecimalTextSchema,
  gameStartTime: timestampSchema,
}).transform((m): GammaMarket => ({
  id: m.id,
  question: m.question,
  conditionId: m.conditionId,
  questionId: m.questionID,
  slug: m.slug,
  outcomes: m.outcomes,
  outcomePrices: m.outcomePrices,
  clobTokenIds: m.clobTokenIds.length > 0 ? m.clobTokenIds : m.positionIds,
  umaResolutionStatus: m.umaResolutionStatus,
  umaResolutionStatuses: m.umaResolutionStatuses,
  active: m.active,
  closed: m.closed,
  archived: m.archived,
  acceptingOrders: m.acceptingOrders,
  enableOrderBook: m.enableOrderBook,
  negRisk: m.negRisk ?? false,
  negRiskMarketId: m.negRiskMarketID,
  groupItemTitle: m.groupItemTitle,
  groupItemThreshold: m.groupItemThreshold == null ? null : String(m.groupItemThreshold),
  orderPriceMinTickSize: m.orderPriceMinTickSize,
  orderMinSize: m.orderMinSize,
  volume: m.volume,
  liquidity: m.liquidity,
  bestBid: m.bestBid,
  bestAsk: m.bestAsk,
  lastTradePrice: m.lastTradePrice,
  volume24hr: m.volume24hr,
  feesEnabled: m.feesEnabled,
  feeType: m.feeType,
  feeSchedule: m.feeSchedule ?? null,
  startDate: m.startDate,
  endDate: m.endDate,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
  closedTime: m.closedTime,
  umaEndDate: m.umaEndDate,
  eventIds: (m.events ?? []).map((e) => e.id),
  description: m.description,
  resolutionSource: m.resolutionSource,
  negRiskOther: m.negRiskOther,
  makerBaseFee: m.makerBaseFee,
  takerBaseFee: m.takerBaseFee,
  gameId: m.gameId,
  sportsMarketType: m.sportsMarketType,
  line: m.line,
  gameStartTime: m.gameStartTime,
})) satisfies z.ZodType<GammaMarket>;

/** A parsed keyset page: items, rejects and the cursor for the next page (null at the end). */
export interface GammaPage<T> extends Batch<T> {
  nextCursor: string | null;
}

const envelopes = {
  markets: z.object({ markets: z.array(z.unknown()), next_cursor: z.string().nullish() }),
  events: z.object({ events: z.array(z.unknown()), next_cursor: z.string().nullish() }),
};

/**
 * Parses a keyset envelope (`{<key>: [...], next_cursor}`) or a legacy bare array. A page
 * without its array (`{"data": [...]}`, a renamed key) is unrecognised, a single `$` reject,
 * never an empty page: an empty page would end the walk as a success with nothing collected.
 */
export function parseGammaPage<T>(
  raw: unknown,
  key: "markets" | "events",
  item: z.ZodType<T>,
): GammaPage<T> {
  const page = gammaEnvelope(raw, key);
  if ("reject" in page) return { items: [], rejects: [page.reject], nextCursor: null };
  return { ...parseBatch(page.list, item, key), nextCursor: page.nextCursor };
}

/**
 * `parseGammaPage` that yields to the event loop every `PARSE_SLICE_ITEMS` elements (a
 * 1,000-market page is hundreds of milliseconds of validation): the listing's path.
 */
export async function readGammaPage<T>(
  raw: unknown,
  key: "markets" | "events",
  item: z.ZodType<T>,
  options: { readonly signal: AbortSignal },
): Promise<GammaPage<T>> {
  const page = gammaEnvelope(raw, key);
  if ("reject" in page) return { items: [], rejects: [page.reject], nextCursor: null };
  const batch = await parseBatchYielding(page.list, item, key, options);
  return { ...batch, nextCursor: page.nextCursor };
}

/** The page's element array and next cursor, or the `$` reject of an unrecognised page. */
export function gammaEnvelope(
  raw: unknown,
  key: "markets" | "events",
): { list: unknown[]; nextCursor: string | null } | { reject: Reject } {
  if (Array.isArray(raw)) return { list: raw, nextCursor: null };
  const env = envelopes[key].safeParse(raw);
  if (!env.success) {
    return { reject: { path: "$", reason: `not a ${key} page (no "${key}" array)`, raw } };
  }
  const list = key === "markets"
    ? (env.data as { markets: unknown[] }).markets
    : (env.data as { events: unknown[] }).events;
  const cursor = env.data.next_cursor;
  return { list, nextCursor: cursor ? cursor : null };
}

/** Parses `/markets/keyset` (`{markets, next_cursor}`) or a legacy `/markets` bare array. */
export function parseGammaMarketsPage(raw: unknown, _receivedAt: Date): GammaPage<GammaMarket> {
  return parseGammaPage(raw, "markets", gammaMarketSchema);
}
