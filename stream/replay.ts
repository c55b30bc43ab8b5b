/**
 * `replayBookEvents`: the recorded stream (`book_events`) read back as `BookEvent`s in arrival
 * order (session, then sequence), for chosen tokens (or all) and an interval of receive
 * times, optionally paced at N× real time. A `book` is its header row plus its level rows; the
 * consecutive level rows of one token that arrived together (same connection, receive time and
 * venue time) are one `price_change`. The kinds that are not book events (trade markers,
 * best bid/ask, listings) are skipped.
 * The scanner runs on this exactly as it runs live.
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
  /** Rows read per round trip. */
  readonly pageRows?: number;
}

type Row = [
  session: string,
  seq: string,
  conn: number,
  key: number,
  kind: number,
  side: number | null,
  price: number | null,
  size: string | null,
  ts: Date,
  at: Date,
  exact: { price?: string; size?: string } | null,
];

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
  const keys = options.tokenIds === undefined ? null : ids.map((r) => r.key);
  const from = options.from ?? new Date(0);
  const to = options.to ?? new Date(Date.UTC(9999, 0));
  const page = options.pageRows ?? 50_000;
  let after: [string, string] = ["-1", "-1"];
  let pending: BookEvent | null = null;
  let firstAt = NaN;
  const started = performance.now();
  for (;;) {
    options.signal?.throwIfAborted();
    const rows = (await sql`
      select session, seq, conn, token_key, kind, side, price, size, ts, received_at, exact
      from book_events
      where (session, seq) > (${after[0]}::int8, ${after[1]}::int8)
        and received_at >= ${from} and received_at < ${to} and kind in (0, 1, 2, 3)
        ${keys === null ? sql`` : sql`and token_key = any(${"{" + keys.join(",") + "}"}::int4[])`}
      order by session, seq limit ${page}`.values()) as unknown as Row[];
    if (rows.length === 0) break;
    const last = rows[rows.length - 1]!;
    after = [last[0], last[1]];
    for (const r of rows) {
      const kind = r[4];
      const tokenId = idOf.get(r[3]);
      if (tokenId === undefined) continue;
      const at = r[9].getTime();
      const base = {
        tokenId,
        exchangeTs: r[8].getTime(),
        receivedAt: at,
        connection: r[2],
        sequence: Number(r[1]),
      };
      let next: BookEvent | null = null;
      if (kind === KIND.book) {
        next = { kind: "book", ...base, bids: [], asks: [], tickSize: price(r) };
      } else if (
        kind === KIND.bookLevel && pending?.kind === "book" && pending.tokenId === tokenId
      ) {
        ((r[5] === 0 ? pending.bids : pending.asks) as [string, string][]).push([
          price(r)!,
          size(r)!,
        ]);
        continue;
      } else if (kind === KIND.priceChange) {
        const change: LevelChange = {
          price: price(r)!,
          size: size(r)!,
          side: r[5] === 0 ? "BUY" : "SELL",
        };
        if (
          pending?.kind === "price_change" && pending.tokenId === tokenId &&
          pending.receivedAt === at && pending.exchangeTs === base.exchangeTs &&
          pending.connection === base.connection
        ) {
          (pending.changes as LevelChange[]).push(change);
          continue;
        }
        next = { kind: "price_change", ...base, changes: [change] };
      } else if (kind === KIND.tickSizeChange) {
        next = { kind: "tick_size_change", ...base, newTickSize: price(r)! };
      } else continue;
      if (pending !== null) {
        if (options.pace !== undefined) await paced(pending.receivedAt);
        yield pending;
      }
      pending = next;
    }
    if (rows.length < page) break;
  }
  if (pending !== null) {
    if (options.pace !== undefined) await paced(pending.receivedAt);
    yield pending;
  }

  async function paced(at: number): Promise<void> {
    if (Number.isNaN(firstAt)) firstAt = at;
    const due = (at - firstAt) / options.pace! - (performance.now() - started);
    if (due > 1) await sleep(due, undefined, { signal: options.signal });
  }
}

function price(r: Row): string | null {
  return r[10]?.price ?? (r[6] === null ? null : decimalOfMicro(String(r[6])));
}

function size(r: Row): string | null {
  return r[10]?.size ?? (r[7] === null ? null : decimalOfMicro(r[7]));
}
