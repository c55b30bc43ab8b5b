/**
 * `bookAt`: one token's full book at any instant, rebuilt from the recorded stream
 * (`book_events`, migration 0010). It starts from the token's newest snapshot or checkpoint at
 * or before the instant and replays that connection's level changes up to the instant, in
 * arrival order. It never invents depth across a gap: when the segment was ended before the
 * instant (a `tick_size_change`, or an outage in the gap ledger that began after the segment
 * started) or nothing was recorded yet, the answer is "not covered" with the reason.
 *
 * @example
 * ```ts
 * import { bookAt } from "./book_at.ts";
 * const r = await bookAt(sql, tokenId, { at: new Date("2026-11-30T12:00:00Z") });
 * if (r.covered) r.book.bids[0]; // ["0.52", "120.5"]: best bid, decimal text
 * ```
 */
import { KIND } from "../db/book_events.ts";
import type { Queryable } from "../db/client.ts";
import { decimalOfMicro } from "../db/_micro.ts";
import { isZero } from "./_checkpoint_books.ts";

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
    /** When the segment's snapshot (or checkpoint replayed from) arrived. */
    readonly since: Date;
  }
  | {
    readonly covered: false;
    readonly reason: "unknown_token" | "no_snapshot" | "tick_size_change" | "gap";
  };

/** A stored row as read back for reconstruction. */
export interface StoredLevelRow {
  readonly kind: number;
  readonly side: number | null;
  readonly price: number | null;
  readonly size: string | null;
  readonly exact: { price?: string; size?: string } | null;
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
  const [start] = await sql<{ session: string; seq: string; receivedAt: Date }[]>`
    select session, seq, received_at as "receivedAt" from book_events
    where token_key = ${token.key} and kind in (0, 8) and received_at <= ${at}
    order by received_at desc, seq desc limit 1`;
  if (start === undefined) return { covered: false, reason: "no_snapshot" };
  const rows = await sql<StoredLevelRow[]>`
    select kind, side, price, size, exact from book_events
    where token_key = ${token.key} and received_at >= ${start.receivedAt}
      and received_at <= ${at} and session = ${start.session} and seq >= ${start.seq}
    order by seq`;
  const book = applyRows(rows);
  if (book === null) return { covered: false, reason: "tick_size_change" };
  const [gap] = await sql`
    select 1 from gaps
    where start_at >= ${start.receivedAt} and start_at <= ${at}
      and (tokens @> array[${tokenId}]::text[] or scope = ${tokenId} or scope = '*')
    limit 1`;
  if (gap !== undefined) return { covered: false, reason: "gap" };
  return { covered: true, book, since: start.receivedAt };
}

/**
 * Applies rows that start with a snapshot or checkpoint header, in arrival order: header
 * levels set the book, `price_change` levels set one level (size 0 deletes). Null when a
 * `tick_size_change` ends the segment. Rows of other kinds are ignored.
 */
export function applyRows(rows: readonly StoredLevelRow[]): Book | null {
  const bids = new Map<number | string, Level>();
  const asks = new Map<number | string, Level>();
  let header = true;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const k = r.kind;
    if (i === 0) continue; // the header itself
    if (k === KIND.tickSizeChange) return null;
    if (k === KIND.bookLevel || k === KIND.checkpointLevel) {
      if (!header) continue; // levels of a later checkpoint restate what is already applied
    } else if (k === KIND.priceChange) header = false;
    else {
      if (k === KIND.checkpoint) header = false;
      continue;
    }
    const price = r.exact?.price ?? decimalOfMicro(String(r.price));
    const size = r.exact?.size ?? decimalOfMicro(r.size!);
    const levels = r.side === 0 ? bids : asks;
    const key = r.price ?? price;
    if (isZero(size)) levels.delete(key);
    else levels.set(key, [price, size]);
  }
  return { bids: sorted(bids, -1), asks: sorted(asks, 1) };
}

function sorted(levels: Map<number | string, Level>, direction: 1 | -1): Level[] {
  return [...levels.values()].sort((a, b) => direction * (Number(a[0]) - Number(b[0])));
}
