/**
 * Moves a window of recorded level rows from `book_event_rows` into `book_event_packs`
 * (migration 0013, stream/pack.ts): the plain level rows (kinds 1, 2 and 9 with integer side,
 * price and size, nothing in `exact`) of each token, session and connection, in seq order, cut
 * into packs of at most {@link PACK_ROWS}. A window is 6 hours of receive time (UTC 00, 06, 12,
 * 18: the hypertable's chunks), worked in slices of tokens, one transaction each: the packs
 * are inserted and exactly the rows they hold are deleted, so a crash leaves each slice packed
 * or not, and rows written into the window meanwhile (a replayed spill file) stay rows, packed
 * by a later pass. The recorder packs each window `packAfterMs` after it ends
 * (stream/recorder.ts).
 *
 * On TimescaleDB the packer must touch nothing but its window, whatever the compression policy
 * has done (issue 26). Each slice's statements are planned for their own time bounds
 * (`plan_cache_mode = force_custom_plan` for the transaction): a prepared statement's generic
 * plan keeps every chunk of the hypertable, and a DELETE then decompressed the whole previous,
 * compressed, chunk and hit TimescaleDB's decompression limit. A window whose own chunk is
 * already compressed (a collector down for longer than `compress_after`) is packed all the
 * same: the DELETE names the slice's tokens (the chunk's segment-by column) and the window's
 * bounds, so TimescaleDB decompresses only those tokens' batches of the window, and the
 * transaction lifts the limit for exactly that (`max_tuples_decompressed_per_dml_transaction =
 * 0`). What stays a row is left uncompressed in the chunk (a partially compressed chunk),
 * which the compression policy compresses again at its next run.
 *
 * @example
 * ```ts
 * import { packWindow } from "./packer.ts";
 * const r = await packWindow(sql, new Date("2026-11-30T12:00:00Z"));
 * r.rows; // level rows moved into r.packs packs
 * ```
 */
import { Buffer } from "node:buffer";
import type { Queryable, Sql } from "../db/client.ts";
import { PACK_WINDOW_MS, windowOf } from "../db/book_events.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import { encodePack, PACK_LIMIT, PACK_ROWS, packable, type PackRow } from "./pack.ts";

export { PACK_WINDOW_MS, windowOf };

/** Token slices a window is packed in (bounds the memory of one transaction). */
const SLICES = 16;

/** What one window's packing moved. */
export interface PackResult {
  readonly rows: number;
  readonly packs: number;
}

interface Candidate extends PackRow {
  readonly tokenKey: number;
  readonly session: number;
  readonly conn: number;
}

/** Packs the window holding `at`. */
export async function packWindow(sql: Sql, at: Date): Promise<PackResult> {
  let rows = 0;
  let packs = 0;
  const from = windowOf(at.getTime());
  const timescale = (await timescaleSchema(sql)) !== null;
  for (let slice = 0; slice < SLICES; slice++) {
    const r = await packSlice(sql, { from, slice, timescale });
    rows += r.rows;
    packs += r.packs;
  }
  return { rows, packs };
}

async function packSlice(
  sql: Sql,
  w: { readonly from: Date; readonly slice: number; readonly timescale: boolean },
): Promise<PackResult> {
  const { from, slice } = w;
  const to = new Date(from.getTime() + PACK_WINDOW_MS);
  return await sql.begin(async (tx) => {
    const q = tx as unknown as Queryable;
    // Plans made for this window's bounds (chunk exclusion at planning), even for statements
    // the connection has run often enough to be given a generic plan; see the module note.
    await q`select set_config('plan_cache_mode', 'force_custom_plan', true)`;
    if (w.timescale) {
      await q`
        select set_config('timescaledb.max_tuples_decompressed_per_dml_transaction', '0', true)`;
    }
    const cursor = q<Candidate[]>`
      select token_key as "tokenKey", session::float8 as session, conn, seq::float8 as seq,
             kind, side, price, size::float8 as size, ts_lag::float8 as lag,
             (extract(epoch from received_at) * 1000)::float8 as "atMs"
      from book_event_rows
      where received_at >= ${from} and received_at < ${to} and token_key % ${SLICES} = ${slice}
        and kind in (1, 2, 9) and exact is null and side in (0, 1)
        and price is not null and size >= 0 and size < ${PACK_LIMIT}
        and ts_lag > ${-PACK_LIMIT} and ts_lag < ${PACK_LIMIT}
        and date_trunc('milliseconds', received_at) = received_at
      order by token_key, session, conn, seq`.cursor(20_000);
    let packs = 0;
    let moved = 0;
    const pending: Record<string, unknown>[] = [];
    const keys: { session: number[]; seq: number[] } = { session: [], seq: [] };
    const tokens = new Set<number>();
    let run: Candidate[] = [];
    const close = () => {
      if (run.length === 0) return;
      const first = run[0]!;
      const last = run[run.length - 1]!;
      pending.push({
        token_key: first.tokenKey,
        session: first.session,
        conn: first.conn,
        first_seq: first.seq,
        last_seq: last.seq,
        first_at: new Date(first.atMs),
        last_at: new Date(last.atMs),
        n: run.length,
        data: Buffer.from(encodePack(run)),
      });
      tokens.add(first.tokenKey);
      for (const r of run) {
        keys.session.push(r.session);
        keys.seq.push(r.seq);
      }
      packs++;
      moved += run.length;
      run = [];
    };
    for await (const rows of cursor) {
      for (const r of rows) {
        const head = run[0];
        if (
          head !== undefined && (run.length === PACK_ROWS || r.tokenKey !== head.tokenKey ||
            r.session !== head.session || r.conn !== head.conn)
        ) close();
        // A row that cannot be packed (none the filter lets through) stays a row.
        if (packable(r)) run.push(r);
      }
    }
    close();
    // After the cursor: the transaction's one connection is busy while it is open.
    for (let k = 0; k < pending.length; k += 1000) {
      await q`insert into book_event_packs ${tx(pending.slice(k, k + 1000))}`;
    }
    // The tokens and the window bound what a compressed chunk decompresses: the batches of
    // these tokens (the segment-by column) within the window.
    const tokenKeys = `{${[...tokens].join(",")}}`;
    for (let k = 0; k < keys.seq.length; k += 50_000) {
      await q`
        delete from book_event_rows r
        using unnest(${keys.session.slice(k, k + 50_000)}::int8[],
                     ${keys.seq.slice(k, k + 50_000)}::int8[]) k(session, seq)
        where r.session = k.session and r.seq = k.seq
          and r.token_key = any(${tokenKeys}::int4[])
          and r.received_at >= ${from} and r.received_at < ${to}`;
    }
    return { rows: moved, packs };
  });
}

/**
 * The first window that may hold unpacked level rows: the newest pack's (packing stops between
 * slices when the process does) or, when nothing is packed yet, the window two days before
 * `now` (older rows stay as they are).
 */
export async function firstUnpackedWindow(sql: Queryable, now: number): Promise<Date> {
  const [packed] = await sql<{ at: Date | null }[]>`
    select max(first_at) as at from book_event_packs`;
  return windowOf(packed?.at != null ? packed.at.getTime() : now - 2 * 86_400_000);
}

/**
 * The stored rows received in [from, to] (or [from, to) with `before`), of `tokenKeys` (null:
 * every token) and `session` (null: every session), unpacked where packed: a FROM item for a
 * reader (its own filters still apply on top). Only packs of the interval are unpacked.
 */
export function storedRowsOf(
  sql: Queryable,
  w: {
    readonly tokenKeys: readonly number[] | null;
    readonly session: string | number | null;
    readonly from: Date;
    readonly to: Date;
    readonly before?: boolean;
  },
) {
  const keys = w.tokenKeys === null ? null : `{${w.tokenKeys.join(",")}}`;
  const rowKeys = keys === null ? sql`` : sql`and token_key = any(${keys}::int4[])`;
  const packKeys = keys === null ? sql`` : sql`and p.token_key = any(${keys}::int4[])`;
  const rowSession = w.session === null ? sql`` : sql`and session = ${w.session}`;
  const packSession = w.session === null ? sql`` : sql`and p.session = ${w.session}`;
  const end = w.before === true ? sql`received_at < ${w.to}` : sql`received_at <= ${w.to}`;
  const packEnd = w.before === true ? sql`p.first_at < ${w.to}` : sql`p.first_at <= ${w.to}`;
  // A pack lies within one window: no pack that starts before `from`'s window reaches it.
  const packStart = sql`p.first_at >= ${windowOf(w.from.getTime())}`;
  return sql`(
    select * from book_event_rows
    where received_at >= ${w.from} and ${end} ${rowKeys} ${rowSession}
    union all
    select u.* from book_event_packs p cross join lateral book_event_unpack(p) u
    where ${packStart} and ${packEnd} and p.last_at >= ${w.from} ${packKeys} ${packSession})`;
}
