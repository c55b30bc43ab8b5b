/**
 * The packer's read (stream/packer.ts): the rows of one slice of a window that packs may hold,
 * in pack order (token, session, connection, seq), handed over one at a time. On a PostgreSQL
 * server they come as a binary COPY, decoded here field by field (at venue rate a window is
 * 11 M rows, and building each row through the driver's text parsing took most of the read);
 * where COPY is not available (PGlite) through a cursor. `packCondition` is the one condition
 * both the read and the packer's delete use, so that the two name the same rows.
 *
 * @example
 * ```ts ignore
 * import { packCondition, readPackRows } from "./_pack_rows.ts";
 * const where = packCondition({ from, to, tokens: { from: 1000, to: 2000 } });
 * await readPackRows(tx, where, { copy: true }, (row) => rows.push(row));
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
 * timestamp made here, so it is inlined (a COPY takes no parameters). A token range and the
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
/** "PGCOPY\n\xff\r\n\0", then flags and the header extension's length (int32 each). */
const HEADER = 19;

/** Reads the rows of `condition` in pack order, by COPY (`copy`) or by cursor. */
export async function readPackRows(
  q: Queryable,
  condition: string,
  o: { readonly copy: boolean },
  onRow: (row: PackCandidate) => void,
): Promise<void> {
  const select = `select ${COLUMNS} from book_event_rows where ${condition} ${ORDER}`;
  if (!o.copy) {
    const cursor = q.unsafe(select).values().cursor(20_000);
    for await (const rows of cursor) {
      for (const r of rows) onRow(candidate(r.map(Number)));
    }
    return;
  }
  const stream = await q.unsafe(`copy (${select}) to stdout with (format binary)`).readable();
  const decoder = new CopyDecoder(onRow);
  try {
    for await (const chunk of stream) decoder.push(chunk as Uint8Array);
  } finally {
    // postgres.js 3.4.9 pauses its socket when a chunk waits in the stream's buffer and
    // resumes it in the stream's `_read`, which is not called again once the COPY has ended:
    // a read paused at its end left the connection hung on the next statement. Resume it.
    (stream as unknown as { _read(size: number): void })._read(0);
  }
  decoder.end();
}

function candidate(v: readonly number[]): PackCandidate {
  return {
    tokenKey: v[0]!,
    session: v[1]!,
    conn: v[2]!,
    seq: v[3]!,
    kind: v[4]!,
    side: v[5]!,
    price: v[6]!,
    size: v[7]!,
    lag: v[8]!,
    atMs: v[9]!,
  };
}

/** Binary COPY tuples of integer fields (none NULL) decoded across chunk boundaries. */
class CopyDecoder {
  #rest: Uint8Array = new Uint8Array(0);
  #header = true;
  #done = false;
  readonly #values: number[] = new Array(10).fill(0);
  readonly #onRow: (row: PackCandidate) => void;

  constructor(onRow: (row: PackCandidate) => void) {
    this.#onRow = onRow;
  }

  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#rest.length > 0) {
      buf = new Uint8Array(this.#rest.length + chunk.length);
      buf.set(this.#rest);
      buf.set(chunk, this.#rest.length);
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let p = 0;
    if (this.#header) {
      if (buf.length < HEADER) {
        this.#rest = buf.slice();
        return;
      }
      p = HEADER + view.getInt32(15);
      this.#header = false;
    }
    const values = this.#values;
    while (p + 2 <= buf.length && !this.#done) {
      const fields = view.getInt16(p);
      if (fields === -1) {
        this.#done = true;
        p += 2;
        break;
      }
      if (fields !== values.length) {
        throw new Error(`Cannot read a packable row: ${fields} fields, not ${values.length}`);
      }
      let at = p + 2;
      let whole = true;
      for (let f = 0; f < fields; f++) {
        if (at + 4 > buf.length) {
          whole = false;
          break;
        }
        const len = view.getInt32(at);
        at += 4;
        if (at + len > buf.length) {
          whole = false;
          break;
        }
        if (len === 8) values[f] = view.getInt32(at) * 4_294_967_296 + view.getUint32(at + 4);
        else if (len === 4) values[f] = view.getInt32(at);
        else if (len === 2) values[f] = view.getInt16(at);
        else throw new Error(`Cannot read a packable row: a field of ${len} bytes`);
        at += len;
      }
      if (!whole) break;
      this.#onRow(candidate(values));
      p = at;
    }
    this.#rest = buf.slice(p);
  }

  end(): void {
    if (!this.#done || this.#rest.length > 0) {
      throw new Error("Cannot read packable rows: the COPY ended before its trailer");
    }
  }
}
