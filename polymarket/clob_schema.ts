/**
 * CLOB public REST schemas: books, market by condition id, markets pages, price, midpoint,
 * price history, fee rate.
 *
 * @example
 * ```ts
 * import { parseMidpoint } from "./clob_schema.ts";
 * parseMidpoint({ mid: "0.45" }); // "0.45"
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
import { type Book, parseBook } from "./clob_book.ts";
import { optionalBoolSchema, optionalId, optionalTextSchema, timestampSchema } from "./_wire.ts";
import { type Batch, parseBatch, type Reject } from "./batch.ts";

/** Parses a `POST /books` array; one bad book is a reject, the rest are kept. */
export function parseBooks(raw: unknown, receivedAt: number): Batch<Book> {
  if (!Array.isArray(raw)) {
    return { items: [], rejects: [{ path: "$", reason: "expected an array", raw }] };
  }
  const items: Book[] = [];
  const rejects: Reject[] = [];
  raw.forEach((el, i) => {
    try {
      items.push(parseBook(el, receivedAt));
    } catch (err) {
      rejects.push({ path: `books[${i}]`, reason: (err as Error).message, raw: el });
    }
  });
  return { items, rejects };
}

/** One outcome token of a CLOB market; `winner` marks the resolved winner. */
export interface ClobToken {
  tokenId: TokenId | null;
  outcome: string;
  price: DecimalString | null;
  winner: boolean;
}

/** A CLOB market (`GET /markets/{condition_id}`, `/markets` page items). */
export interface ClobMarket {
  conditionId: ConditionId;
  questionId: string | null;
  question: string | null;
  slug: string | null;
  active: boolean | null;
  closed: boolean | null;
  archived: boolean | null;
  acceptingOrders: boolean | null;
  enableOrderBook: boolean | null;
  minimumOrderSize: DecimalString | null;
  minimumTickSize: DecimalString | null;
  negRisk: boolean;
  negRiskMarketId: string | null;
  endDate: Date | null;
  tokens: ClobToken[];
  /** Rules text. */
  description: string | null;
  makerBaseFee: DecimalString | null;
  takerBaseFee: DecimalString | null;
  /** The market resolves 50-50 on cancellation (`is_50_50_outcome`). */
  is5050Outcome: boolean | null;
  gameStartTime: Date | null;
}

const clobTokenSchema = z.object({
  token_id: optionalId(tokenIdSchema),
  outcome: storableTextSchema(),
  price: decimalSchema.nullish(),
  winner: z.boolean().nullish(),
}).transform((t): ClobToken => ({
  tokenId: t.token_id,
  outcome: t.outcome,
  price: t.price ?? null,
  winner: t.winner ?? false,
}));

/** Wire schema of one CLOB market object. */
export const clobMarketSchema = z.object({
  condition_id: conditionIdSchema,
  question_id: optionalTextSchema,
  question: optionalTextSchema,
  market_slug: optionalTextSchema,
  active: optionalBoolSchema,
  closed: optionalBoolSchema,
  archived: optionalBoolSchema,
  accepting_orders: optionalBoolSchema,
  enable_order_book: optionalBoolSchema,
  minimum_order_size: decimalSchema.nullish(),
  minimum_tick_size: decimalSchema.nullish(),
  neg_risk: optionalBoolSchema,
  neg_risk_market_id: optionalTextSchema,
  end_date_iso: timestampSchema,
  tokens: z.array(clobTokenSchema).nullish(),
  description: optionalTextSchema,
  maker_base_fee: decimalSchema.nullish(),
  taker_base_fee: decimalSchema.nullish(),
  is_50_50_outcome: optionalBoolSchema,
  game_start_time: timestampSchema,
}).transform((m): ClobMarket => ({
  conditionId: m.condition_id,
  questionId: m.question_id,
  question: m.question,
  slug: m.market_slug,
  active: m.active,
  closed: m.closed,
  archived: m.archived,
  acceptingOrders: m.accepting_orders,
  enableOrderBook: m.enable_order_book,
  minimumOrderSize: m.minimum_order_size ?? null,
  minimumTickSize: m.minimum_tick_size ?? null,
  negRisk: m.neg_risk ?? false,
  negRiskMarketId: m.neg_risk_market_id,
  endDate: m.end_date_iso,
  tokens: m.tokens ?? [],
  description: m.description,
  makerBaseFee: m.maker_base_fee ?? null,
  takerBaseFee: m.taker_base_fee ?? null,
  is5050Outcome: m.is_50_50_outcome,
  gameStartTime: m.game_start_time,
})) satisfies z.ZodType<ClobMarket>;

/** End-of-listing marker of CLOB cursors (base64 "-1"). */
export const CLOB_END_CURSOR = "LTE=";
/** First-page cursor of CLOB listings (base64 "0"). */
export const CLOB_START_CURSOR = "MA==";

/** A CLOB `/markets` page; `nextCursor` is null at the end (`LTE=`). */
export interface ClobMarketsPage extends Batch<ClobMarket> {
  nextCursor: string | null;
}

const marketsPageSchema = z.object({
  data: z.array(z.unknown()),
  next_cursor: z.string().nullish(),
});

/** Parses a CLOB `/markets` listing page. */
export function parseClobMarketsPage(raw: unknown): ClobMarketsPage {
  const env = marketsPageSchema.safeParse(raw);
  if (!env.success) {
    return {
      items: [],
      rejects: [{ path: "$", reason: "not a markets page", raw }],
      nextCursor: null,
    };
  }
  const c = env.data.next_cursor;
  const nextCursor = !c || c === CLOB_END_CURSOR ? null : c;
  return { ...parseBatch(env.data.data, clobMarketSchema, "data"), nextCursor };
}

const priceSchema = z.object({ price: decimalSchema });
const midSchema = z.union([
  z.object({ mid: decimalSchema }).transform((v) => v.mid),
  z.object({ mid_price: decimalSchema }).transform((v) => v.mid_price),
]);

/** `GET /price` → the price, or null when the body is not `{price}`. */
export function parsePrice(raw: unknown): DecimalString | null {
  const r = priceSchema.safeParse(raw);
  return r.success ? r.data.price : null;
}

/** `GET /midpoint` → `{mid}` (live) or `{mid_price}` (docs), or null. */
export function parseMidpoint(raw: unknown): DecimalString | null {
  const r = midSchema.safeParse(raw);
  return r.success ? r.data : null;
}

/** One point of `/prices-history`. */
export interface PricePoint {
  at: Date;
  price: DecimalString;
}

const pointSchema = z.object({ t: z.number().int(), p: decimalSchema })
  .transform((v): PricePoint => ({ at: new Date(v.t * 1000), price: v.p }));

/** Parses `{history:[{t,p}]}`; bad points are rejects. */
export function parsePriceHistory(raw: unknown): Batch<PricePoint> {
  const env = z.object({ history: z.array(z.unknown()) }).safeParse(raw);
  if (!env.success) return { items: [], rejects: [{ path: "$", reason: "not a history", raw }] };
  return parseBatch(env.data.history, pointSchema, "history");
}

/** `GET /fee-rate` → base fee in bps (string or number on the wire), or null. */
export function parseFeeRate(raw: unknown): DecimalString | null {
  const r = z.object({ base_fee: decimalSchema }).safeParse(raw);
  return r.success ? r.data.base_fee : null;
}
