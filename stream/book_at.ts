/**
 * `bookAt`: one token's full book at any instant, rebuilt from the recorded stream
 * (`book_event_rows`, migrations 0010 and 0011; a paired row of the sibling token counts as this
 * token's mirrored level). It starts from the token's newest snapshot or checkpoint
 * (`book_checkpoints`) at or before the instant and replays that session's level changes up to
 * the instant, in arrival order. It never invents depth across a gap: when the segment was
 * ended before the instant (a `tick_size_change`, an unsubscribe or a clean stop, or an outage
 * in the gap ledger that began after the segment started), the market resolved (a recorded
 * `market_resolved` or a stored resolution at or before the instant) or nothing was recorded yet,
 * the answer is "not covered" with the reason.
 *
 * @example
 * ```ts
 * import { bookAt } from "./book_at.ts";
 * const r = await bookAt(sql, tokenId, { at: new Date("2026-11-30T12:00:00Z") });
 * if (r.covered) r.book.bids[0]; // ["0.52", "120.5"]: best bid, decimal text
 * ```
 */
import { KIND, MICRO_ONE, PRICE_UNIT, SIZE_UNIT } from "../db/book_events.ts";
import type { Queryable } from "../db/client.ts";
import { decimalOfMicro } from "../db/_micro.ts";
import { isZero } from "./_levels.ts";
import { gapNamesTokens } from "./gap_closes.ts";
import { storedRowsOf } from "./packer.ts";

type Level = [price: string, size: string];

/** A book, best levels first, prices and sizes as decimal text. */
export interface Book {
  readonly bids: Level[];
  readonly asks: Level[];
}

export type BookAtResult =
  | {
    readonly covered: true;
    readonly book: Book;
    /** When the segment's snapshot arrived. */
    readonly since: Date;
  }
  | {
    readonly covered: false;
    readonly reason:
      | "unknown_token"
      | "no_snapshot"
      | "tick_size_change"
      | "ended"
      | "gap"
      | "resolved";
  };

/** A stored row as read back for reconstruction. */
export interface StoredLevelRow {
  readonly kind: number;
  readonly side: number | null;
  readonly price: number | null;
  readonly size: string | null;
  readonly exact: { price?: string; size?: string } | null;
}

interface Start {
  readonly session: string;
  readonly seq: string;
  readonly receivedAt: Date;
  readonly since: Date;
  /** The checkpoint's levels; null for a snapshot (its level rows follow it). */
  readonly book: Book | null;
}

/** The token's book at `at` (default: the latest recorded state). */
export async function bookAt(
  sql: Queryable,
  tokenId: string,
  options: { readonly at?: Date } = {},
): Promise<BookAtResult> {
  const [token] = await sql<{ key: number }[]>`
    select token_key as key from token_keys where token_id = ${tokenId}`;
  if (token === undefined) return { covered: false, reason: "unknown_token" };
  const at = options.at ?? new Date(Date.UTC(9999, 0));
  // A resolved market has no book from its resolution on, whatever was recorded before it.
  const [resolved] = await sql`
    select 1 from book_event_rows
    where token_key = ${token.key} and kind = ${KIND.marketResolved} and received_at <= ${at}
    union all
    select 1 from tokens t join resolutions r on r.condition_id = t.condition_id
    where t.token_id = ${tokenId} and r.status = 'resolved' and r.resolved_at <= ${at}
    limit 1`;
  if (resolved !== undefined) return { covered: false, reason: "resolved" };
  const r = await rebuild(sql, token.key, { at });
  if (!r.covered) return r;
  const [gap] = await sql`
    select 1 from gaps
    where start_at >= ${r.since} and start_at <= ${at} and ${gapNamesTokens(sql, [tokenId])}
    limit 1`;
  if (gap !== undefined) return { covered: false, reason: "gap" };
  return r;
}

/**
 * The token's book from its newest start at or before `at` (and, with `upTo`, at or before
 * that row of that session: the state right after it), without the gap check.
 */
export async function rebuild(
  sql: Queryable,
  tokenKey: number,
  options: { readonly at: Date; readonly upTo?: { session: number; seq: number } },
): Promise<BookAtResult> {
  const start = await latestStart(sql, tokenKey, options);
  if (start === null) return { covered: false, reason: "no_snapshot" };
  if (options.upTo !== undefined && Number(start.session) !== options.upTo.session) {
    return { covered: false, reason: "no_snapshot" };
  }
  const last = options.upTo?.seq ?? Number.MAX_SAFE_INTEGER;
  // Paired rows of the sibling token stand for this token's row `seq + 1`, mirrored.
  const [pair] = await sql<{ sibling: number }[]>`
    select sibling_key as sibling from token_pairs where token_key = ${tokenKey}`;
  const sibling = pair?.sibling ?? -1;
  const own = sql`token_key = ${tokenKey}`;
  const rows = await sql<StoredLevelRow[]>`
    select (case when ${own} then kind else ${KIND.priceChange} end)::int2 as kind,
           (case when ${own} then side else 1 - side end)::int2 as side,
           (case when ${own} then price * ${PRICE_UNIT} else ${MICRO_ONE} - price * ${PRICE_UNIT}
            end)::int4 as price,
           size * ${SIZE_UNIT} as size, exact
    from ${
    storedRowsOf(sql, {
      tokenKeys: [tokenKey, sibling],
      session: start.session,
      from: start.receivedAt,
      to: options.at,
    })
  } r
    where received_at >= ${start.receivedAt} and received_at <= ${options.at}
      and ((${own} and seq ${start.book === null ? sql`>=` : sql`>`} ${start.seq}
            and seq <= ${last} and kind in (0, 1, 2, 3, 8, 9))
        or (token_key = ${sibling} and kind = ${KIND.pairedChange}
            and seq >= ${start.seq} and seq < ${last}))
    order by seq + (case when ${own} then 0 else 1 end)`;
  const book = applyRows(rows, start.book);
  if (book === "tick_size_change" || book === "ended") return { covered: false, reason: book };
  return { covered: true, book, since: start.since };
}

async function latestStart(
  sql: Queryable,
  tokenKey: number,
  options: { readonly at: Date; readonly upTo?: { session: number; seq: number } },
): Promise<Start | null> {
  const before = options.upTo === undefined
    ? sql`received_at <= ${options.at}`
    : sql`(received_at < ${options.at} or (received_at = ${options.at} and seq <= ${options.upTo.seq}))`;
  const [snapshot] = await sql<{ session: string; seq: string; receivedAt: Date }[]>`
    select session, seq, received_at as "receivedAt" from book_event_rows
    where token_key = ${tokenKey} and kind = 0 and ${before}
    order by received_at desc, seq desc limit 1`;
  const [checkpoint] = await sql<{
    session: string;
    seq: string;
    receivedAt: Date;
    since: Date;
    bidPrices: number[] | null;
    bidSizes: string[] | null;
    askPrices: number[] | null;
    askSizes: string[] | null;
    exact: { bids: Level[]; asks: Level[] } | null;
  }[]>`
    select session, seq, received_at as "receivedAt", since, bid_prices as "bidPrices",
           bid_sizes as "bidSizes", ask_prices as "askPrices", ask_sizes as "askSizes", exact
    from book_checkpoints
    where token_key = ${tokenKey} and ${before}
    order by received_at desc, seq desc limit 1`;
  const snapshotStart = snapshot === undefined ? null : {
    ...snapshot,
    since: snapshot.receivedAt,
    book: null,
  };
  if (checkpoint === undefined) return snapshotStart;
  if (
    snapshotStart !== null && (snapshot!.receivedAt > checkpoint.receivedAt ||
      (snapshot!.receivedAt.getTime() === checkpoint.receivedAt.getTime() &&
        (snapshot!.session !== checkpoint.session ||
          BigInt(snapshot!.seq) > BigInt(checkpoint.seq))))
  ) return snapshotStart;
  const levels = (prices: number[] | null, sizes: string[] | null): Level[] =>
    (prices ?? []).map((p, i) => [decimalOfMicro(String(p)), decimalOfMicro(sizes![i]!)]);
  return {
    session: checkpoint.session,
    seq: checkpoint.seq,
    receivedAt: checkpoint.receivedAt,
    since: checkpoint.since,
    book: checkpoint.exact ?? {
      bids: levels(checkpoint.bidPrices, checkpoint.bidSizes),
      asks: levels(checkpoint.askPrices, checkpoint.askSizes),
    },
  };
}

/**
 * Applies rows in arrival order onto `initial` (a checkpoint's book), or, when it is null, onto
 * the snapshot whose header is the first row: snapshot levels and `price_change` levels set a
 * level (size 0 deletes it). What ended the segment instead, when a `tick_size_change` or a
 * segment end (unsubscribed, process stopped) comes first.
 */
export function applyRows(
  rows: readonly StoredLevelRow[],
  initial: Book | null = null,
): Book | "tick_size_change" | "ended" {
  const bids = new Map<string, Level>(initial?.bids.map((l) => [l[0], l]));
  const asks = new Map<string, Level>(initial?.asks.map((l) => [l[0], l]));
  for (let i = initial === null ? 1 : 0; i < rows.length; i++) {
    const r = rows[i]!;
    const k = r.kind;
    if (k === KIND.tickSizeChange) return "tick_size_change";
    if (k === KIND.segmentEnd) return "ended";
    if (k !== KIND.bookLevel && k !== KIND.priceChange && k !== KIND.pairedChange) continue;
    const price = r.exact?.price ?? decimalOfMicro(String(r.price));
    const size = r.exact?.size ?? decimalOfMicro(r.size!);
    const levels = r.side === 0 ? bids : asks;
    if (isZero(size)) levels.delete(price);
    else levels.set(price, [price, size]);
  }
  return { bids: sorted(bids, -1), asks: sorted(asks, 1) };
}

function sorted(levels: Map<string, Level>, direction: 1 | -1): Level[] {
  return [...levels.values()].sort((a, b) => direction * (Number(a[0]) - Number(b[0])));
}
