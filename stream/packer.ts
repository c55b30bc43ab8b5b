/**
 * Moves a window of recorded level rows from `book_event_rows` into `book_event_packs`
 * (migration 0013, stream/pack.ts): the plain level rows (kinds 1, 2 and 9 with integer side,
 * price and size, nothing in `exact`) of each token, session and connection, in seq order, cut
 * into packs of at most {@link PACK_ROWS}. A window is 6 hours of receive time (UTC 00, 06, 12,
 * 18: the hypertable's chunks), worked in slices of token keys, one transaction each: the packs
 * are inserted and exactly the rows they hold are deleted, so a crash leaves each slice packed
 * or not. The recorder packs each window `packAfterMs` after it ends (stream/recorder.ts).
 *
 * A slice is a range of token keys (keys are handed out in turn, so the ranges split the keys
 * given so far), which with the window's bounds is one range of the index on (token_key,
 * received_at): a slice reads its own rows, not the whole table (16 full scans of a window of
 * 11 M rows at venue rate, and of the dead rows the previous window's packing left, were most
 * of the time). Its transaction is REPEATABLE READ: the read (stream/_pack_rows.ts) and the
 * delete see one snapshot, so the delete removes exactly the rows read, by the same condition,
 * with no list of keys sent back, and rows written into the window meanwhile (a replayed spill
 * file) stay rows, packed by a later pass. A delete that does not remove as many rows as were
 * packed rolls the slice back.
 *
 * On TimescaleDB the packer must touch nothing but its window, whatever the compression policy
 * has done (issue 26). Each slice's statements are planned for their own time bounds
 * (`plan_cache_mode = force_custom_plan` for the transaction, and the bounds are literals): a
 * prepared statement's generic plan keeps every chunk of the hypertable, and a DELETE then
 * decompressed the whole previous, compressed, chunk and hit TimescaleDB's decompression limit.
 * A window whose own chunk is already compressed (a collector down for longer than
 * `compress_after`) is packed all the same: the DELETE names the slice's tokens (the chunk's
 * segment-by column), the window's bounds and the packable kinds, so TimescaleDB decompresses
 * at most those tokens' batches of the window, and the transaction lifts the limit for exactly
 * that (`max_tuples_decompressed_per_dml_transaction = 0`). What stays a row is left
 * uncompressed in the chunk (a partially compressed chunk), which the compression policy
 * compresses again at its next run.
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
import { encodePack, PACK_ROWS, packable } from "./pack.ts";
import { type PackCandidate, packCondition, readPackRows } from "./_pack_rows.ts";

export { PACK_WINDOW_MS, windowOf };

/** Token slices a window is packed in (bounds the memory of one transaction). */
const SLICES = 16;
/** Sort memory of a slice's transaction: a slice's rows at venue rate sort in memory. */
const SORT_MEMORY = "128MB";

/** What one window's packing moved. */
export interface PackResult {
  readonly rows: number;
  readonly packs: number;
}

/** Packs the window holding `at`. */
export async function packWindow(sql: Sql, at: Date): Promise<PackResult> {
  let rows = 0;
  let packs = 0;
  const from = windowOf(at.getTime());
  const timescale = (await timescaleSchema(sql)) !== null;
  // Token keys are handed out in turn (db/_keys.ts): the slices split the keys given so far.
  const [keys] = await sql<{ max: number }[]>`
    select coalesce(max(token_key), 0) as max from token_keys`;
  const width = Math.ceil((keys!.max + 1) / SLICES);
  for (let slice = 0; slice < SLICES; slice++) {
    const tokens = {
      from: slice === 0 ? null : slice * width,
      to: slice === SLICES - 1 ? null : (slice + 1) * width,
    };
    const r = await packSlice(sql, { from, tokens, timescale });
    rows += r.rows;
    packs += r.packs;
  }
  return { rows, packs };
}

async function packSlice(
  sql: Sql,
  w: {
    readonly from: Date;
    readonly tokens: { readonly from: number | null; readonly to: number | null };
    readonly timescale: boolean;
  },
): Promise<PackResult> {
  const { from } = w;
  const to = new Date(from.getTime() + PACK_WINDOW_MS);
  // One snapshot for the whole transaction: the delete below removes exactly the rows the
  // select read, by the same condition, and rows written into the window meanwhile (a replayed
  // spill file) are not in the snapshot, so they stay rows for a later pass.
  return await sql.begin("isolation level repeatable read", async (tx) => {
    const q = tx as unknown as Queryable;
    // Plans made for this window's bounds (chunk exclusion at planning), even for statements
    // the connection has run often enough to be given a generic plan; see the module note.
    await q`select set_config('plan_cache_mode', 'force_custom_plan', true),
                   set_config('work_mem', ${SORT_MEMORY}, true)`;
    if (w.timescale) {
      await q`
        select set_config('timescaledb.max_tuples_decompressed_per_dml_transaction', '0', true)`;
    }
    const where = packCondition({ from, to, tokens: w.tokens });
    let packs = 0;
    let moved = 0;
    const pending: Record<string, unknown>[] = [];
    const tokens = new Set<number>();
    let run: PackCandidate[] = [];
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
      packs++;
      moved += run.length;
      run = [];
    };
    await readPackRows(q, where, (r) => {
      const head = run[0];
      if (
        head !== undefined && (run.length === PACK_ROWS || r.tokenKey !== head.tokenKey ||
          r.session !== head.session || r.conn !== head.conn)
      ) close();
      // The condition lets through only packable rows; the delete removes every row it lets
      // through, so one that could not be packed must stop the slice, not be lost.
      if (!packable(r)) {
        throw new Error(`Cannot pack row (${r.session}, ${r.seq}): a value is out of range`);
      }
      run.push(r);
    });
    close();
    // After the read: the transaction's one connection is busy while it is open.
    for (let k = 0; k < pending.length; k += 1000) {
      await q`insert into book_event_packs ${tx(pending.slice(k, k + 1000))}`;
    }
    if (packs === 0) return { rows: 0, packs };
    // The tokens and the window bound what a compressed chunk decompresses: the batches of
    // these tokens (the segment-by column) within the window.
    const deleted = await q.unsafe(
      `delete from book_event_rows where ${where} and token_key = any($1::int4[])`,
      [`{${[...tokens].join(",")}}`],
    );
    if (deleted.count !== moved) {
      // Another transaction deleted some of these rows since the snapshot (a second packer):
      // roll back rather than store them twice.
      throw new Error(`Cannot pack a slice: ${deleted.count} rows deleted of ${moved} packed`);
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
