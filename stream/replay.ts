/**
 * `replayBookEvents`: the recorded stream (`book_events`, stored as `book_event_rows`) read back
 * as `BookEvent`s in arrival order (session, then sequence), for chosen tokens (or all) and an
 * interval of receive times, optionally paced at N× real time. A `book` is its header row plus
 * its level rows; the consecutive level rows of one token that arrived together (same
 * connection, receive time and venue time) are one `price_change`. The replay obeys the record:
 * a segment end (kind 8), a resolution (kind 6) and the start of an outage in the gap ledger
 * (the rule `bookAt` applies) each give a `book_closed` event, so no consumer carries a book
 * across them. The kinds that are not book events (trade markers, best bid/ask, listings) are
 * skipped. The scanner runs on this exactly as it runs live.
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
import { KIND, MICRO_ONE, PRICE_UNIT, SIZE_UNIT } from "../db/book_events.ts";
import type { Queryable } from "../db/client.ts";
import { decimalOfMicro, decimalOfMicroNumber } from "../db/_micro.ts";
import type { BookEvent, LevelChange } from "./book_event.ts";
import { gapStarts, withGapCloses } from "./gap_closes.ts";
import { PACK_WINDOW_MS, storedRowsOf, windowOf } from "./packer.ts";

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

/**
 * A batch of recorded rows, column by column, in arrival order: what both sources (the
 * database here, Parquet in `replay_parquet.ts`) hand to {@link assembleBatches}.
 */
export interface EventColumns {
  readonly length: number;
  readonly seq: ArrayLike<number>;
  readonly conn: ArrayLike<number>;
  readonly key: ArrayLike<number>;
  readonly kind: ArrayLike<number>;
  readonly side: ArrayLike<number | null>;
  /** Micro price. */
  readonly price: ArrayLike<number | null>;
  /** Micro size: a number below 2^53, else its decimal text. */
  readonly size: ArrayLike<number | string | null>;
  /** Venue time and receive time, unix ms. */
  readonly ts: ArrayLike<number>;
  readonly at: ArrayLike<number>;
  readonly exact: ArrayLike<Exact | null>;
}

/** Values that did not fit the integer columns, verbatim. */
export interface Exact {
  readonly price?: string;
  readonly size?: string;
}

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
  const pace = pacer(options);
  const rows = pagedColumns(sql, filter, options.pageRows ?? 50_000);
  const gaps = await gapStarts(sql, {
    tokenIds: options.tokenIds ?? null,
    from: filter.from,
    to: filter.to,
  });
  const batches = withGapCloses(assembleBatches(rows, idOf, options.signal), gaps);
  // One async step per event (a delegating generator per layer costs a third of the rate).
  for await (const events of batches) {
    for (const event of events) {
      if (pace !== null) await pace(event.receivedAt);
      yield event;
    }
  }
}

/** Waits until an event received at `at` is due at `options.pace`× real time; null unpaced. */
export function pacer(
  options: Pick<ReplayOptions, "pace" | "signal">,
): ((at: number) => Promise<void>) | null {
  const { pace, signal } = options;
  if (pace === undefined) return null;
  let firstAt = NaN;
  const started = performance.now();
  return async (at) => {
    if (Number.isNaN(firstAt)) firstAt = at;
    const due = (at - firstAt) / pace - (performance.now() - started);
    if (due > 1) await sleep(due, undefined, { signal });
  };
}

/**
 * Turns rows in arrival order into `BookEvent`s, a batch at a time: a `book` is its header row
 * plus the level rows after it; consecutive `price_change` level rows of one token with the
 * same connection, receive time and venue time are one event; a segment end or a resolution
 * row is a `book_closed`; other kinds are skipped, and so are rows of tokens `idOf` does not
 * name. Each batch yields the events its rows complete (the
 * last one may go on in the next batch, so it comes with that one). Unpaced.
 */
export async function* assembleBatches(
  batches: AsyncIterable<EventColumns>,
  idOf: ReadonlyMap<number, string>,
  signal?: AbortSignal,
): AsyncGenerator<BookEvent[]> {
  let pending: BookEvent | null = null;
  for await (const c of batches) {
    signal?.throwIfAborted();
    const done: BookEvent[] = [];
    for (let i = 0; i < c.length; i++) {
      const kind = c.kind[i];
      const tokenId = idOf.get(c.key[i]!);
      if (tokenId === undefined) continue;
      const at = c.at[i]!;
      let next: BookEvent;
      if (kind === KIND.bookLevel) {
        if (pending !== null && pending.kind === "book" && pending.tokenId === tokenId) {
          ((c.side[i] === 0 ? pending.bids : pending.asks) as [string, string][]).push([
            price(c, i)!,
            size(c, i)!,
          ]);
        }
        continue;
      } else if (kind === KIND.priceChange) {
        const change: LevelChange = {
          price: price(c, i)!,
          size: size(c, i)!,
          side: c.side[i] === 0 ? "BUY" : "SELL",
        };
        if (
          pending !== null && pending.kind === "price_change" && pending.tokenId === tokenId &&
          pending.receivedAt === at && pending.exchangeTs === c.ts[i] &&
          pending.connection === c.conn[i]
        ) {
          (pending.changes as LevelChange[]).push(change);
          continue;
        }
        // Whole literals: a spread of shared fields measured 15-20% slower in this loop.
        next = {
          kind: "price_change",
          tokenId,
          exchangeTs: c.ts[i]!,
          receivedAt: at,
          connection: c.conn[i]!,
          sequence: c.seq[i]!,
          changes: [change],
        };
      } else if (kind === KIND.book) {
        next = {
          kind: "book",
          tokenId,
          exchangeTs: c.ts[i]!,
          receivedAt: at,
          connection: c.conn[i]!,
          sequence: c.seq[i]!,
          bids: [],
          asks: [],
          tickSize: price(c, i),
        };
      } else if (kind === KIND.tickSizeChange) {
        next = {
          kind: "tick_size_change",
          tokenId,
          exchangeTs: c.ts[i]!,
          receivedAt: at,
          connection: c.conn[i]!,
          sequence: c.seq[i]!,
          newTickSize: price(c, i)!,
        };
      } else if (kind === KIND.segmentEnd || kind === KIND.marketResolved) {
        next = {
          kind: "book_closed",
          tokenId,
          exchangeTs: c.ts[i]!,
          receivedAt: at,
          connection: c.conn[i]!,
          sequence: c.seq[i]!,
          reason: kind === KIND.segmentEnd ? "segment_end" : "resolved",
        };
      } else continue;
      if (pending !== null) done.push(pending);
      pending = next;
    }
    if (done.length > 0) yield done;
  }
  if (pending !== null) yield [pending];
}

/** One database row: session, seq, conn, token_key, kind, side, price, size, ts, at, exact. */
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
  exact: Exact | null,
];

/**
 * Keyset pages of stored rows (any backend), as columns, each paired row followed by its
 * mirror on the sibling token (what the view `book_events` gives, read without its union).
 */
async function* pagedColumns(
  sql: Queryable,
  f: Filter,
  page: number,
): AsyncGenerator<EventColumns> {
  const pairs = await sql<{ key: number; sibling: number }[]>`
    select token_key as key, sibling_key as sibling from token_pairs
    ${f.keys === null ? sql`` : sql`where sibling_key = any(${`{${f.keys.join(",")}}`}::int4[])`}`;
  const siblingOf = new Map(pairs.map((p) => [p.key, p.sibling]));
  // A paired row is stored under either token of its market: read the siblings' rows too.
  const keys = f.keys === null ? null : [...new Set([...f.keys, ...siblingOf.keys()])];
  // Windows that hold packs are read whole, each pack unpacked once, through one cursor each;
  // the time between them page by page from the table.
  const packed = await sql<{ h: number }[]>`
    select distinct (floor(extract(epoch from first_at) * 1000 / ${PACK_WINDOW_MS})
                     * ${PACK_WINDOW_MS})::float8 as h
    from book_event_packs
    where first_at >= ${windowOf(f.from.getTime())} and first_at < ${f.to}
      ${keys === null ? sql`` : sql`and token_key = any(${`{${keys.join(",")}}`}::int4[])`}
    order by 1`;
  let at = f.from;
  for (const { h } of packed) {
    const from = new Date(Math.max(h, f.from.getTime()));
    const to = new Date(Math.min(h + PACK_WINDOW_MS, f.to.getTime()));
    if (at < from) yield* tablePages(sql, { keys, from: at, to: from }, page, siblingOf);
    const rows = sql`
      select ${sql.unsafe(ROW_COLUMNS)}
      from ${storedRowsOf(sql, { tokenKeys: keys, session: null, from, to, before: true })} r
      where received_at >= ${from} and received_at < ${to} and kind in (0, 1, 2, 3, 6, 8, 9)
      order by session, seq`.values().cursor(page);
    for await (const batch of rows) yield columnsOfRows(batch as unknown as Row[], siblingOf);
    at = to;
  }
  if (at < f.to) yield* tablePages(sql, { keys, from: at, to: f.to }, page, siblingOf);
}

/** The stored row columns a replay reads (see {@link Row}). */
const ROW_COLUMNS = `session, seq, conn, token_key, kind, side, price * ${PRICE_UNIT} as price,
  size * ${SIZE_UNIT} as size, (extract(epoch from received_at) * 1000)::float8 - ts_lag as ts,
  (extract(epoch from received_at) * 1000)::float8 as received_at, exact`;

/** Keyset pages of the table's rows in [from, to) (no packs). */
async function* tablePages(
  sql: Queryable,
  w: { readonly keys: readonly number[] | null; readonly from: Date; readonly to: Date },
  page: number,
  siblingOf: ReadonlyMap<number, number>,
): AsyncGenerator<EventColumns> {
  let after: [string, string] = ["-1", "-1"];
  for (;;) {
    const rows = await sql`
      select ${sql.unsafe(ROW_COLUMNS)}
      from book_event_rows
      where (session, seq) > (${after[0]}::int8, ${after[1]}::int8)
        and received_at >= ${w.from} and received_at < ${w.to} and kind in (0, 1, 2, 3, 6, 8, 9)
        ${w.keys === null ? sql`` : sql`and token_key = any(${`{${w.keys.join(",")}}`}::int4[])`}
      order by session, seq limit ${page}`.values() as unknown as Row[];
    if (rows.length === 0) return;
    yield columnsOfRows(rows, siblingOf);
    const last = rows[rows.length - 1]!;
    after = [last[0], last[1]];
    if (rows.length < page) return;
  }
}

/** Database rows as columns, in one pass; a paired row becomes its two level changes. */
function columnsOfRows(rows: readonly Row[], siblingOf: ReadonlyMap<number, number>): EventColumns {
  const c = {
    length: 0,
    seq: [] as number[],
    conn: [] as number[],
    key: [] as number[],
    kind: [] as number[],
    side: [] as (number | null)[],
    price: [] as (number | null)[],
    size: [] as (number | string | null)[],
    ts: [] as number[],
    at: [] as number[],
    exact: [] as (Exact | null)[],
  };
  const push = (
    r: Row,
    seq: number,
    key: number,
    side: number | null,
    price: number | null,
    size: number | string | null,
  ) => {
    c.seq.push(seq);
    c.conn.push(r[2]);
    c.key.push(key);
    c.kind.push(r[4] === KIND.pairedChange ? KIND.priceChange : r[4]);
    c.side.push(side);
    c.price.push(price);
    c.size.push(size);
    c.ts.push(r[8]);
    c.at.push(r[9]);
    c.exact.push(r[10]);
  };
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const raw = r[7];
    const size = raw === null ? null : raw.length <= 15 ? Number(raw) : raw;
    const seq = Number(r[1]);
    push(r, seq, r[3], r[5], r[6], size);
    if (r[4] !== KIND.pairedChange) continue;
    const sibling = siblingOf.get(r[3]);
    if (sibling !== undefined) push(r, seq + 1, sibling, 1 - r[5]!, MICRO_ONE - r[6]!, size);
  }
  c.length = c.seq.length;
  return c;
}

/** Decimal text of the few distinct micro prices, made once each. */
const PRICE_TEXT = new Map<number, string>();

function price(c: EventColumns, i: number): string | null {
  const exact = c.exact[i];
  if (exact?.price !== undefined) return exact.price;
  const micro = c.price[i];
  if (micro === null || micro === undefined) return null;
  let text = PRICE_TEXT.get(micro);
  if (text === undefined) {
    text = decimalOfMicroNumber(micro);
    if (PRICE_TEXT.size < 100_000) PRICE_TEXT.set(micro, text);
  }
  return text;
}

function size(c: EventColumns, i: number): string | null {
  const exact = c.exact[i];
  if (exact?.size !== undefined) return exact.size;
  const micro = c.size[i];
  if (micro === null || micro === undefined) return null;
  // Below 2^53 as a number (fast); longer counts through the exact text path. Sizes vary too
  // much for a cache: formatting each is three times faster than looking it up.
  return typeof micro === "number" ? decimalOfMicroNumber(micro) : decimalOfMicro(micro);
}
