/**
 * `replayBookEvents`: the recorded stream (`book_events`) read back as `BookEvent`s in arrival
 * order (session, then sequence), for chosen tokens (or all) and an interval of receive
 * times, optionally paced at N× real time. A `book` is its header row plus its level rows; the
 * consecutive level rows of one token that arrived together (same connection, receive time and
 * venue time) are one `price_change`. The kinds that are not book events (trade markers,
 * best bid/ask, listings) are skipped. The scanner runs on this exactly as it runs live.
 *
 * Rows are read in keyset pages. (COPY TO STDOUT would be faster, but postgres.js 3.4.9 stalls
 * a large COPY out whose consumer applies back-pressure, and can leave the connection hung.)
 *
 * @example
 * ```ts
 * import { replayBookEvents } from "./replay.ts";
 * for await (const e of replayBookEvents(sql, { tokenIds: ["123"], pace: 10, signal })) {
 *   scanner.apply(e);
 * }
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { KIND } from "../db/book_events.ts";
import type { Queryable } from "../db/client.ts";
import { decimalOfMicro } from "../db/_micro.ts";
import type { BookEvent, LevelChange } from "./book_event.ts";

export interface ReplayOptions {
  /** Only these tokens; undefined = every recorded token. */
  readonly tokenIds?: readonly string[];
  /** Receive-time interval [from, to). */
  readonly from?: Date;
  readonly to?: Date;
  /** Pace at this many times real time (receive-time gaps); undefined = as fast as possible. */
  readonly pace?: number;
  readonly signal?: AbortSignal;
  /** Rows read per round trip (pages). */
  readonly pageRows?: number;
}

/** One row: session, seq, conn, token_key, kind, side, price, size, ts ms, received ms, exact. */
type Row = [
  session: string,
  seq: string,
  conn: number,
  key: number,
  kind: number,
  side: number | null,
  price: number | null,
  size: string | null,
  ts: number,
  at: number,
  exact: { price?: string; size?: string } | null,
];

interface Filter {
  readonly keys: readonly number[] | null;
  readonly from: Date;
  readonly to: Date;
}

/** Recorded book events in arrival order. */
export async function* replayBookEvents(
  sql: Queryable,
  options: ReplayOptions = {},
): AsyncGenerator<BookEvent> {
  const ids = await sql<{ key: number; id: string }[]>`
    select token_key as key, token_id as id from token_keys
    where ${
    options.tokenIds === undefined
      ? sql`true`
      : sql`token_id in ${sql(options.tokenIds as string[])}`
  }`;
  const idOf = new Map(ids.map((r) => [r.key, r.id]));
  if (options.tokenIds !== undefined && ids.length === 0) return;
  const filter: Filter = {
    keys: options.tokenIds === undefined ? null : ids.map((r) => r.key),
    from: options.from ?? new Date(0),
    to: options.to ?? new Date(Date.UTC(9999, 0)),
  };
  const batches = pagedRows(sql, filter, options.pageRows ?? 50_000);
  let pending: BookEvent | null = null;
  let firstAt = NaN;
  const started = performance.now();
  const paced = async (at: number) => {
    if (Number.isNaN(firstAt)) firstAt = at;
    const due = (at - firstAt) / options.pace! - (performance.now() - started);
    if (due > 1) await sleep(due, undefined, { signal: options.signal });
  };
  for await (const rows of batches) {
    options.signal?.throwIfAborted();
    for (const r of rows) {
      const kind = r[4];
      const tokenId = idOf.get(r[3]);
      if (tokenId === undefined) continue;
      const at = r[9];
      let next: BookEvent;
      if (kind === KIND.bookLevel) {
        if (pending?.kind === "book" && pending.tokenId === tokenId) {
          ((r[5] === 0 ? pending.bids : pending.asks) as [string, string][]).push([
            price(r)!,
            size(r)!,
          ]);
        }
        continue;
      } else if (kind === KIND.priceChange) {
        const change: LevelChange = {
          price: price(r)!,
          size: size(r)!,
          side: r[5] === 0 ? "BUY" : "SELL",
        };
        if (
          pending?.kind === "price_change" && pending.tokenId === tokenId &&
          pending.receivedAt === at && pending.exchangeTs === r[8] && pending.connection === r[2]
        ) {
          (pending.changes as LevelChange[]).push(change);
          continue;
        }
        next = { kind: "price_change", ...base(r, tokenId), changes: [change] };
      } else if (kind === KIND.book) {
        next = { kind: "book", ...base(r, tokenId), bids: [], asks: [], tickSize: price(r) };
      } else if (kind === KIND.tickSizeChange) {
        next = { kind: "tick_size_change", ...base(r, tokenId), newTickSize: price(r)! };
      } else continue;
      if (pending !== null) {
        if (options.pace !== undefined) await paced(pending.receivedAt);
        yield pending;
      }
      pending = next;
    }
  }
  if (pending !== null) {
    if (options.pace !== undefined) await paced(pending.receivedAt);
    yield pending;
  }
}

function base(r: Row, tokenId: string) {
  return { tokenId, exchangeTs: r[8], receivedAt: r[9], connection: r[2], sequence: Number(r[1]) };
}

/** Keyset pages of rows (any backend). */
async function* pagedRows(sql: Queryable, f: Filter, page: number): AsyncGenerator<Row[]> {
  let after: [string, string] = ["-1", "-1"];
  for (;;) {
    const rows = await sql`
      select session, seq, conn, token_key, kind, side, price, size,
             (extract(epoch from ts) * 1000)::float8 as ts,
             (extract(epoch from received_at) * 1000)::float8 as received_at, exact
      from book_events
      where (session, seq) > (${after[0]}::int8, ${after[1]}::int8)
        and received_at >= ${f.from} and received_at < ${f.to} and kind in (0, 1, 2, 3)
        ${f.keys === null ? sql`` : sql`and token_key = any(${`{${f.keys.join(",")}}`}::int4[])`}
      order by session, seq limit ${page}`.values() as unknown as Row[];
    if (rows.length === 0) return;
    yield rows;
    const last = rows[rows.length - 1]!;
    after = [last[0], last[1]];
    if (rows.length < page) return;
  }
}

/** Decimal text of the few distinct micro prices, made once each. */
const PRICE_TEXT = new Map<number, string>();

function price(r: Row): string | null {
  if (r[10]?.price !== undefined) return r[10].price;
  const micro = r[6];
  if (micro === null) return null;
  let text = PRICE_TEXT.get(micro);
  if (text === undefined) {
    text = microDecimal(micro);
    if (PRICE_TEXT.size < 100_000) PRICE_TEXT.set(micro, text);
  }
  return text;
}

function size(r: Row): string | null {
  if (r[10]?.size !== undefined) return r[10].size;
  const micro = r[7];
  if (micro === null) return null;
  // Below 2^53 as a number (fast); longer counts through the exact text path.
  return micro.length <= 15 ? microDecimal(Number(micro)) : decimalOfMicro(micro);
}

/** `decimalOfMicro` for a safe integer, without regular expressions. */
function microDecimal(micro: number): string {
  const int = Math.floor(micro / 1_000_000);
  let frac = micro - int * 1_000_000;
  if (frac === 0) return String(int);
  let digits = 6;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  return `${int}.${String(frac).padStart(digits, "0")}`;
}
