/**
 * The packer's read (stream/packer.ts): the rows of one slice of a window that packs may hold,
 * in pack order (token, session, connection, seq), handed over one at a time through a cursor.
 * `packCondition` is the one condition both the read and the packer's delete use, so that the
 * two name the same rows.
 *
 * Not a binary COPY, though it read a venue window's 11 M rows faster (the driver's parsing of
 * ten text fields a row is most of the read): with postgres.js 3.4.9 a connection lost during a
 * COPY TO STDOUT threw an uncaught TypeError from the driver's write queue after the query had
 * failed, which would end the collector; a cursor fails cleanly.
 *
 * @example
 * ```ts ignore
 * import { packCondition, readPackRows } from "./_pack_rows.ts";
 * const where = packCondition({ from, to, tokens: { from: 1000, to: 2000 } });
 * await readPackRows(tx, where, (row) => rows.push(row));
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { PACK_LIMIT, type PackRow } from "./pack.ts";

/** A stored row a pack may hold, with what a pack is keyed by. */
export interface PackCandidate extends PackRow {
  readonly tokenKey: number;
  readonly session: number;
  readonly conn: number;
}

/**
 * The rows of tokens `tokens` (a token_key range, either end open when null) in [from, to) that
 * a pack may hold (stream/pack.ts `packable`), as SQL text: every value is a number or a
 * timestamp made here, so it is inlined (one text for both statements). A token range and the
 * window are one range of the index on (token_key, received_at).
 */
export function packCondition(
  w: {
    readonly from: Date;
    readonly to: Date;
    readonly tokens: { readonly from: number | null; readonly to: number | null };
  },
): string {
  const at = (d: Date) => `'${d.toISOString()}'::timestamptz`;
  const integer = (n: number) => {
    if (!Number.isSafeInteger(n)) throw new RangeError(`Not an integer: ${n}`);
    return String(n);
  };
  const { tokens } = w;
  return `received_at >= ${at(w.from)} and received_at < ${at(w.to)}
    ${tokens.from === null ? "" : `and token_key >= ${integer(tokens.from)}`}
    ${tokens.to === null ? "" : `and token_key < ${integer(tokens.to)}`}
    and kind in (1, 2, 9) and exact is null and side in (0, 1)
    and price is not null and size >= 0 and size < ${PACK_LIMIT}
    and seq >= 0 and seq < ${PACK_LIMIT}
    and ts_lag > ${-PACK_LIMIT} and ts_lag < ${PACK_LIMIT}
    and date_trunc('milliseconds', received_at) = received_at`;
}

const COLUMNS = `token_key, session, conn, seq, kind, side, price, size, ts_lag,
  (extract(epoch from received_at) * 1000)::int8`;
const ORDER = "order by token_key, session, conn, seq";

/** Reads the rows of `condition` in pack order. */
export async function readPackRows(
  q: Queryable,
  condition: string,
  onRow: (row: PackCandidate) => void,
): Promise<void> {
  const cursor = q.unsafe(`select ${COLUMNS} from book_event_rows where ${condition} ${ORDER}`)
    .values().cursor(20_000);
  for await (const rows of cursor) {
    for (const r of rows) {
      onRow({
        tokenKey: Number(r[0]),
        session: Number(r[1]),
        conn: Number(r[2]),
        seq: Number(r[3]),
        kind: Number(r[4]),
        side: Number(r[5]),
        price: Number(r[6]),
        size: Number(r[7]),
        lag: Number(r[8]),
        atMs: Number(r[9]),
      });
    }
  }
}
