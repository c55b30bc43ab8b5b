/**
 * The pure half of the point-in-time dataset (issue 28): which instants a resolved market gets,
 * which as-of lookups each instant needs, and how the looked-up facts become a `DatasetRow`.
 * Both builders (PostgreSQL, `dataset.ts`; DuckDB over an export folder, `dataset_parquet.ts`)
 * fetch the same facts and hand them to {@link toDatasetRow}, so equal facts give equal rows.
 *
 * "Stored before the instant t" per source, as each collector stamps its rows:
 * - a price snapshot is stamped with the minute whose walk took it (during that minute): usable
 *   when `ts <= t − 1 min`;
 * - a book snapshot is stamped with its cycle's slot and taken during the cycle (5 minutes by
 *   default): usable when `ts <= t − 5 min`;
 * - a trade is stamped with its venue second: usable when the whole second is over,
 *   `ts <= t − 1 s`;
 * - metadata: the version in force at t (`valid_from <= t`, as `marketMetadataAsOf`).
 *
 * @example
 * ```ts
 * import { priceOf } from "./_dataset_features.ts";
 * priceOf({ ts: 0, price: 0.5, bestBid: 0.6, bestAsk: 0.64, last: null }); // 0.62 (the mid)
 * ```
 */
import type { DatasetRow } from "./dataset_row.ts";
import { type MarketMetadata, METADATA_KEYS, storedFields } from "../db/market_metadata.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** How long after its stamp a row of each source is known (see the module header). */
export const PRICE_LAG_MS = MINUTE;
export const BOOK_LAG_MS = 5 * MINUTE;
export const TRADE_LAG_MS = 1_000;

/**
 * Offsets before the instant at which the YES price is looked up: the instant itself, the
 * momentum points (1 h, 24 h, 7 d) and the volatility samples (0, 6 h, 12 h, 24 h over the last
 * day; 0, 1 d, 3 d, 5 d, 7 d over the last week). Eight index probes per row: each costs about
 * as much as the rest of the row.
 */
export const PRICE_OFFSETS_MS = [
  0,
  HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  3 * DAY,
  5 * DAY,
  7 * DAY,
] as const;
const AT = (offset: number) => PRICE_OFFSETS_MS.indexOf(offset as never);
const VOL_24H = [0, 6 * HOUR, 12 * HOUR, DAY];
const VOL_7D = [0, DAY, 3 * DAY, 5 * DAY, 7 * DAY];

/**
 * The two trade windows, ending one trade lag before the instant and starting on the first whole
 * UTC hour at most this long before it (23–24 h and 6 d 23–24 h of trades): whole hours are what
 * PostgreSQL keeps totals of (`trade_hours`, migration 0025).
 */
export const TRADE_WINDOWS_MS = { short: DAY, long: 7 * DAY } as const;

/** The latest price snapshot stored before a lookup instant (numbers from exact decimals). */
export interface PricePoint {
  readonly ts: number;
  readonly price: number | null;
  readonly bestBid: number | null;
  readonly bestAsk: number | null;
  readonly last: number | null;
}

/** The latest book snapshot before the instant: its stamp and the notional on each side. */
export interface BookPoint {
  readonly ts: number;
  readonly bidUsd: number;
  readonly askUsd: number;
}

/** Trades of both tokens in the two windows (notionals rounded to cents). */
export interface TradeActivity {
  readonly countShort: number;
  readonly notionalShort: number;
  readonly countLong: number;
  readonly notionalLong: number;
}

/** A resolved binary market that becomes rows (one per horizon). */
export interface Candidate {
  readonly marketId: string;
  readonly eventId: string;
  readonly yesToken: string;
  readonly noToken: string;
  /** The neg-risk group key (`neg_risk_market_id`), null for a standalone market. */
  readonly groupKey: string | null;
  /** Gamma's category, lower case (null: not stored). */
  readonly category: string | null;
  readonly resolvedAt: number;
  /** Its end: the first of its resolution and its close; the instants count back from here. */
  readonly endAt: number;
  readonly label: 0 | 1;
}

/** A member of a neg-risk group, for the group's size and price sum at an instant. */
export interface GroupMember {
  readonly marketId: string;
  readonly yesToken: string;
  /** Unix ms it was listed (`start_date`, else when first seen), null when unknown. */
  readonly existsFrom: number | null;
}

/** Everything looked up for one (market, horizon). */
export interface RowFacts {
  readonly candidate: Candidate;
  readonly horizon: string;
  readonly instant: number;
  /** One per {@link PRICE_OFFSETS_MS}, null when nothing was stored before that point. */
  readonly prices: readonly (PricePoint | null)[];
  readonly book: BookPoint | null;
  readonly trades: TradeActivity;
  /** The stored metadata JSON in force at the instant (null: none observed by then). */
  readonly metadata: Record<string, unknown> | null;
  /** The group's members (by market id) with their price at the instant; [] when standalone. */
  readonly group: readonly { member: GroupMember; point: PricePoint | null }[];
}

/** The YES probability a snapshot shows: its mid, else Gamma's price, else the last trade. */
export function priceOf(point: PricePoint | null): number | null {
  if (point === null) return null;
  if (point.bestBid !== null && point.bestAsk !== null) return (point.bestBid + point.bestAsk) / 2;
  return point.price ?? point.last;
}

/** The row of one (market, horizon), or null when no price was stored before the instant. */
export function toDatasetRow(facts: RowFacts): DatasetRow | null {
  const price = priceOf(facts.prices[0] ?? null);
  if (price === null) return null;
  const { candidate: c, instant } = facts;
  const at = (i: number) => priceOf(facts.prices[i] ?? null);
  const metadata = facts.metadata === null ? null : storedFields(facts.metadata, ROW_METADATA_KEYS);
  const now = facts.prices[0]!;
  const group = groupAt(facts);
  const book = facts.book;
  const depth = book === null ? NaN : book.bidUsd + book.askUsd;
  const features: Record<string, number> = {
    horizonHours: (c.endAt - instant) / HOUR,
    priceAgeHours: (instant - now.ts) / HOUR,
    spread: now.bestBid !== null && now.bestAsk !== null ? now.bestAsk - now.bestBid : NaN,
    momentum1h: difference(price, at(AT(HOUR))),
    momentum24h: difference(price, at(AT(DAY))),
    momentum7d: difference(price, at(AT(7 * DAY))),
    volatility24h: realisedVolatility(VOL_24H.map((o) => ({ at: o, p: at(AT(o)) }))),
    volatility7d: realisedVolatility(VOL_7D.map((o) => ({ at: o, p: at(AT(o)) }))),
    logDepthUsd: Math.log1p(depth),
    bookImbalance: book === null || depth === 0 ? NaN : (book.bidUsd - book.askUsd) / depth,
    bookAgeHours: book === null ? NaN : (instant - book.ts) / HOUR,
    trades24h: facts.trades.countShort,
    logNotional24h: Math.log1p(facts.trades.notionalShort),
    trades7d: facts.trades.countLong,
    logNotional7d: Math.log1p(facts.trades.notionalLong),
    timeToEndHours: hoursUntil(metadata?.endDate ?? null, instant),
    feeRate: numberOr(metadata?.feeRate ?? null),
    feeExponent: numberOr(metadata?.feeExponent ?? null),
    feesEnabled: metadata?.feesEnabled == null ? NaN : metadata.feesEnabled ? 1 : 0,
    groupPriceSum: group === null ? price : group.priceSum,
    groupPricedShare: group === null ? 1 : group.priced / group.size,
  };
  return {
    marketId: c.marketId,
    eventId: c.eventId,
    tokenId: c.yesToken,
    horizon: facts.horizon,
    instant,
    resolvedAt: c.resolvedAt,
    domain: c.category ?? domainOf(metadata),
    negRiskGroupSize: group?.size ?? 1,
    price,
    label: c.label,
    features,
  };
}

/**
 * The metadata fields a row reads (decoding all 28 was a tenth of the build's client CPU). The
 * PostgreSQL builder asks for these alone ({@link ROW_METADATA_COLUMNS}); DuckDB's extraction of
 * seven fields from each stored object cost more than this program's parse of the whole.
 */
export const ROW_METADATA_KEYS = [
  "endDate",
  "feeRate",
  "feeExponent",
  "feesEnabled",
  "gameId",
  "sportsMarketType",
  "feeType",
] as const;
export type RowMetadata = Pick<MarketMetadata, (typeof ROW_METADATA_KEYS)[number]>;
/** Their keys in the stored JSON object (`market_metadata_history.metadata`). */
export const ROW_METADATA_COLUMNS: readonly string[] = ROW_METADATA_KEYS.map((k) =>
  METADATA_KEYS[k]
);

/**
 * The domain when the catalog has no category for the market (Gamma's `category`, migration
 * 0016, is used first): what its metadata at the instant shows, a sports market (game, sports
 * market type or sports fee type), a crypto fee type, else "other".
 */
export function domainOf(metadata: RowMetadata | null): string {
  if (metadata === null) return "other";
  if (
    metadata.gameId !== null || metadata.sportsMarketType !== null ||
    metadata.feeType?.startsWith("sports") === true
  ) return "sports";
  if (metadata.feeType?.startsWith("crypto") === true) return "crypto";
  return "other";
}

/**
 * The group at the instant: members listed by then or priced by then (the market itself is
 * always priced); the sum of their prices, members in market id order.
 */
function groupAt(facts: RowFacts): { size: number; priced: number; priceSum: number } | null {
  if (facts.group.length === 0) return null;
  let size = 0, priced = 0, priceSum = 0;
  for (const { member, point } of facts.group) {
    const p = priceOf(point);
    const listed = member.existsFrom !== null && member.existsFrom < facts.instant;
    if (p === null && !listed) continue;
    size += 1;
    if (p !== null) {
      priced += 1;
      priceSum += p;
    }
  }
  return { size, priced, priceSum };
}

function difference(now: number, then: number | null): number {
  return then === null ? NaN : now - then;
}

/**
 * Realised volatility per √day: the root mean square of successive price differences, each
 * divided by the square root of its span in days (the samples are unevenly spaced), over the
 * pairs whose both prices exist (NaN: none).
 */
export function realisedVolatility(points: readonly { at: number; p: number | null }[]): number {
  let sum = 0, n = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!, b = points[i + 1]!;
    if (a.p === null || b.p === null) continue;
    sum += (a.p - b.p) ** 2 / (Math.abs(b.at - a.at) / DAY);
    n += 1;
  }
  return n === 0 ? NaN : Math.sqrt(sum / n);
}

function hoursUntil(iso: string | null, instant: number): number {
  if (iso === null) return NaN;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? NaN : (ms - instant) / HOUR;
}

function numberOr(text: string | null): number {
  return text === null ? NaN : Number(text);
}
