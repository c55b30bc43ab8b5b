/**
 * `tradabilityAt`: for each market at one instant, whether it may be traded (`rules.ts`), its
 * YES and NO books and where each came from, and the fee, tick and minimum order in force.
 * `edge` prices only what this says is open and booked; later execution asks the same.
 *
 * A book comes from the recorded stream (`bookAt`: the exact state at the instant, or "not
 * covered" with the reason: no snapshot yet, a tick change, a segment end, an outage). Only when
 * the stream does not cover the instant may a REST snapshot (`book_snapshots`) stand in, labelled
 * `rest_snapshot` with its age, and only when it is at most `maxRestAgeMs` old; otherwise the
 * token has no book and the reason says why.
 *
 * @example
 * ```ts ignore
 * import { tradabilityAt } from "./at.ts";
 * const states = await tradabilityAt(sql, ["500001"], { at: new Date(), maxRestAgeMs: 360_000 });
 * states.get("500001")?.open; // false once it resolved
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { fromStoredJson, type MarketMetadata } from "../db/market_metadata.ts";
import type { BookInput, FeeSchedule } from "../edge/market.ts";
import { decimalOfMicro } from "../db/_micro.ts";
import { streamBooksAt } from "./_stream_books.ts";
import {
  closedAtOf,
  type ClosedReason,
  feeScheduleOf,
  type MarketStatusFacts,
  tradableAt,
} from "./rules.ts";

/** Where a token's book at the instant came from. */
export interface BookSource {
  readonly tokenId: string;
  readonly source: "stream" | "rest_snapshot" | "none";
  readonly book: BookInput | null;
  /** Stream: when the covering segment's snapshot arrived; REST: when the snapshot was taken. */
  readonly since: Date | null;
  /** REST: the snapshot's age at the instant; stream: 0 (the book is the state at the instant). */
  readonly ageMs: number | null;
  /** Why there is no book (`none`), or why the stream did not cover it (`rest_snapshot`). */
  readonly reason: string | null;
}

/** One market at one instant. */
export interface MarketTradability {
  readonly marketId: string;
  readonly eventId: string | null;
  readonly conditionId: string | null;
  readonly open: boolean;
  readonly reason: ClosedReason | null;
  /** The first instant it is known not tradable (also when that is after the instant). */
  readonly closedAt: Date | null;
  readonly yesTokenId: string | null;
  readonly noTokenId: string | null;
  readonly yes: BookSource | null;
  readonly no: BookSource | null;
  /** The metadata version in force at the instant (null: never observed by then). */
  readonly metadata: MarketMetadata | null;
  readonly fee: FeeSchedule | null;
  readonly tickSize: string;
  readonly minOrderSize: string;
  readonly endDate: Date | null;
}

export interface TradabilityOptions {
  readonly at: Date;
  /** The oldest REST snapshot that may stand in for an uncovered stream book. */
  readonly maxRestAgeMs: number;
}

/** The columns {@link statusColumns} selects. */
export interface StatusColumns {
  closed: boolean | null;
  closed_time: Date | null;
  accepting_orders: boolean | null;
  updated_at: Date;
  resolved_at: Date | null;
  yes_token: string | null;
  no_token: string | null;
}

/**
 * What every reader of a market's tradability selects from `markets m`: its status, its
 * resolution instant and its two tokens (YES = outcome 0).
 */
export function statusColumns(sql: Queryable) {
  return sql`m.closed, m.closed_time, m.accepting_orders, m.updated_at,
    (select coalesce(r.resolved_at, r.first_seen_at) from resolutions r
      where r.condition_id = m.condition_id and r.status = 'resolved') as resolved_at,
    (select token_id from tokens t where t.market_id = m.market_id and outcome_index = 0)
      as yes_token,
    (select token_id from tokens t where t.market_id = m.market_id and outcome_index = 1)
      as no_token`;
}

/** The status facts of a row read with {@link statusColumns}. */
export function statusFactsOf(row: StatusColumns): MarketStatusFacts {
  return {
    closed: row.closed,
    closedTime: row.closed_time,
    acceptingOrders: row.accepting_orders,
    resolvedAt: row.resolved_at,
    seenAt: row.updated_at,
  };
}

interface FactsRow extends StatusColumns {
  market_id: string;
  event_id: string | null;
  condition_id: string | null;
  tick_size: string | null;
  min_order_size: string | null;
  end_date: Date | null;
}

/**
 * Each known market of `marketIds` at `options.at` (unknown ids are left out), in a fixed number
 * of set-based queries whatever the number of markets: the markets' facts, the metadata versions
 * in force, the stream's books (`streamBooksAt`) and, for tokens the stream does not cover, the
 * newest REST snapshot at or before the instant.
 */
export async function tradabilityAt(
  sql: Queryable,
  marketIds: readonly string[],
  options: TradabilityOptions,
): Promise<Map<string, MarketTradability>> {
  const out = new Map<string, MarketTradability>();
  if (marketIds.length === 0) return out;
  // The facts and the metadata in force at once (two connections), then the books.
  const [rows, versions] = await Promise.all([
    sql<FactsRow[]>`
      select m.market_id, m.event_id, m.condition_id, m.tick_size::text, m.min_order_size::text,
        m.end_date, ${statusColumns(sql)}
      from markets m where m.market_id = any(${[...marketIds]})`,
    metadataAsOf(sql, marketIds, options.at),
  ]);
  const tokens = rows.flatMap((r) => [r.yes_token, r.no_token]).filter((t) => t !== null);
  const books = await bookSources(sql, tokens, options);
  for (const row of rows) {
    const facts = statusFactsOf(row);
    const verdict = tradableAt(facts, options.at);
    const metadata = versions.get(row.market_id) ?? null;
    const book = (token: string | null) => token === null ? null : books.get(token)!;
    out.set(row.market_id, {
      marketId: row.market_id,
      eventId: row.event_id,
      conditionId: row.condition_id,
      open: verdict.open,
      reason: verdict.reason,
      closedAt: closedAtOf(facts)?.at ?? null,
      yesTokenId: row.yes_token,
      noTokenId: row.no_token,
      yes: book(row.yes_token),
      no: book(row.no_token),
      metadata,
      fee: feeScheduleOf(metadata),
      tickSize: metadata?.tickSize ?? row.tick_size ?? "",
      minOrderSize: metadata?.minOrderSize ?? row.min_order_size ?? "",
      endDate: row.end_date,
    });
  }
  return out;
}

/** The token's book at the instant: the stream's, else a REST snapshot within its bound. */
export async function bookSource(
  sql: Queryable,
  tokenId: string,
  options: TradabilityOptions,
): Promise<BookSource> {
  return (await bookSources(sql, [tokenId], options)).get(tokenId)!;
}

/** Each token's {@link bookSource}, read for all of them at once. */
export async function bookSources(
  sql: Queryable,
  tokenIds: readonly string[],
  options: TradabilityOptions,
): Promise<Map<string, BookSource>> {
  const out = new Map<string, BookSource>();
  const streamed = await streamBooksAt(sql, tokenIds, options.at);
  const uncovered: string[] = [];
  for (const tokenId of tokenIds) {
    const s = streamed.get(tokenId)!;
    if (s.covered) {
      out.set(tokenId, {
        tokenId,
        source: "stream",
        book: s.book,
        since: s.since,
        ageMs: 0,
        reason: null,
      });
    } else uncovered.push(tokenId);
  }
  const rest = await restSnapshotsAt(sql, uncovered, options.at);
  for (const tokenId of uncovered) {
    const s = streamed.get(tokenId)!;
    const why = `stream not covered: ${s.covered ? "" : s.reason}`;
    out.set(tokenId, restSource(tokenId, why, rest.get(tokenId), options));
  }
  return out;
}

function restSource(
  tokenId: string,
  uncovered: string,
  rest: RestRow | undefined,
  options: TradabilityOptions,
): BookSource {
  if (rest === undefined) {
    return { ...none(tokenId), reason: `${uncovered}, no REST snapshot` };
  }
  const ageMs = options.at.getTime() - rest.ts.getTime();
  if (ageMs > options.maxRestAgeMs) {
    return {
      ...none(tokenId),
      since: rest.ts,
      ageMs,
      reason: `${uncovered}, REST snapshot ${ageMs} ms old (bound ${options.maxRestAgeMs} ms)`,
    };
  }
  return {
    tokenId,
    source: "rest_snapshot",
    book: {
      bids: rest.bids.map((l) => [l.price, l.size] as const),
      asks: rest.asks.map((l) => [l.price, l.size] as const),
    },
    since: rest.ts,
    ageMs,
    reason: uncovered,
  };
}

interface RestRow {
  ts: Date;
  bids: Level[];
  asks: Level[];
}

interface StoredRest {
  token_id: string;
  ts: Date;
  bid_prices: number[];
  bid_sizes: string[];
  ask_prices: number[];
  ask_sizes: string[];
  exact_bids: Level[] | null;
  exact_asks: Level[] | null;
}

/**
 * Each token's newest REST snapshot at or before `at`: the row `book_snapshots` gives, read
 * from its stored table (the view's sort defeats the index's limit) and its levels decoded as
 * the view's `pm_levels` does, unless `exact` holds them.
 */
async function restSnapshotsAt(
  sql: Queryable,
  tokenIds: readonly string[],
  at: Date,
): Promise<Map<string, RestRow>> {
  if (tokenIds.length === 0) return new Map();
  const rows = await sql<StoredRest[]>`
    select k.token_id, d.ts, d.bid_prices, d.bid_sizes, d.ask_prices, d.ask_sizes,
      d.exact->'bids' as exact_bids, d.exact->'asks' as exact_asks
    from token_keys k
    cross join lateral (
      select * from book_snapshot_data s
      where s.token_key = k.token_key and s.ts <= ${at} order by s.ts desc limit 1) d
    where k.token_id = any(${[...tokenIds]}::text[])`;
  const levels = (prices: number[], sizes: string[]): Level[] =>
    prices.map((p, i) => ({ price: decimalOfMicro(String(p)), size: decimalOfMicro(sizes[i]!) }));
  return new Map(rows.map((r) => [r.token_id, {
    ts: r.ts,
    bids: r.exact_bids ?? levels(r.bid_prices, r.bid_sizes),
    asks: r.exact_asks ?? levels(r.ask_prices, r.ask_sizes),
  }]));
}

/** Each market's metadata version in force at `at` (`marketMetadataAsOf`'s rule). */
async function metadataAsOf(
  sql: Queryable,
  marketIds: readonly string[],
  at: Date,
): Promise<Map<string, MarketMetadata>> {
  const rows = await sql<{ market_id: string; metadata: Record<string, unknown> }[]>`
    select distinct on (market_id) market_id, metadata from market_metadata_history
    where market_id = any(${[
    ...marketIds,
  ]}::text[]) and valid_from <= ${at.toISOString()}::timestamptz
    order by market_id, valid_from desc`;
  return new Map(rows.map((r) => [r.market_id, fromStoredJson(r.metadata)]));
}

interface Level {
  price: string;
  size: string;
}

function none(tokenId: string): BookSource {
  return { tokenId, source: "none", book: null, since: null, ageMs: null, reason: null };
}
