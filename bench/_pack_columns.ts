/**
 * Where the recorded stream's packs spend their bytes, for the storage bench (issue 26): the
 * five columns of a pack's `data` (stream/pack.ts: seq deltas, receive-time deltas, price
 * deltas with the tag, sizes, ts_lag deltas) as varint bytes, and each column stored alone the
 * way `book_event_packs` stores `data` (a `bytea` of storage MAIN in a table with
 * `toast_tuple_target = 128`, so PostgreSQL's own TOAST compression decides), beside what the
 * packs' `data` takes stored and what the table adds (row headers, the other columns, the
 * primary key and BRIN indexes). Columns compressed alone do not add up exactly to the stored
 * `data`, which is compressed as one value; they say which column holds the bytes.
 *
 * @example
 * ```ts ignore
 * import { packColumns } from "./_pack_columns.ts";
 * const c = await packColumns(sql, new Date(start), new Date(end));
 * ```
 */
import type { Sql } from "../db/client.ts";

/** The columns of a pack's `data`, in order, and how many varints each holds for n rows. */
const COLUMNS = [
  ["seq deltas", (n: number) => n - 1],
  ["received_at deltas", (n: number) => n - 1],
  ["price deltas + tag", (n: number) => n],
  ["sizes", (n: number) => n],
  ["ts_lag deltas", (n: number) => n],
] as const;

/** Bytes of the packs of one time range. */
export interface PackColumns {
  readonly packs: number;
  /** Level rows the packs hold. */
  readonly rows: number;
  /** `octet_length(data)`: the varints before compression. */
  readonly raw: number;
  /** `pg_column_size(data)`: the varints as stored (TOAST-compressed or not). */
  readonly stored: number;
  /** Packs whose `data` is stored compressed. */
  readonly compressed: number;
  /**
   * `data` stored with lz4 instead of the default (pglz), which keeps any saving where pglz
   * keeps only a saving of 25% or more; null when the server has no lz4.
   */
  readonly lz4: number | null;
  /** Per column: varint bytes, and bytes stored when compressed alone. */
  readonly columns: readonly { readonly name: string; raw: number; alone: number }[];
}

/** The packs whose `first_at` is in [from, to), column by column. */
export async function packColumns(sql: Sql, from: Date, to: Date): Promise<PackColumns> {
  const columns = COLUMNS.map(([name]) => ({ name, raw: 0, alone: 0 }));
  let packs = 0, rows = 0, raw = 0, stored = 0, compressed = 0;
  await sql`create unlogged table bench_pack_columns (col int2, data bytea)`;
  try {
    await sql`alter table bench_pack_columns alter column data set storage main`;
    await sql`alter table bench_pack_columns set (toast_tuple_target = 128)`;
    const cursor = sql<{ n: number; data: Uint8Array; stored: number; compressed: boolean }[]>`
      select n, data, pg_column_size(data)::float8 as stored,
             pg_column_compression(data) is not null as compressed
      from book_event_packs where first_at >= ${from} and first_at < ${to}`.cursor(2000);
    for await (const batch of cursor) {
      const col: number[] = [];
      const parts: string[] = [];
      for (const p of batch) {
        const data = new Uint8Array(p.data);
        packs++;
        rows += p.n;
        raw += data.length;
        stored += p.stored;
        if (p.compressed) compressed++;
        for (const [i, part] of splitColumns(data, p.n).entries()) {
          columns[i]!.raw += part.length;
          col.push(i);
          parts.push(`\\x${hex(part)}`);
        }
      }
      await sql`
        insert into bench_pack_columns (col, data)
        select * from unnest(${col}::int2[], ${parts}::text[]::bytea[])`;
    }
    const alone = await sql<{ col: number; bytes: number }[]>`
      select col, sum(pg_column_size(data))::float8 as bytes
      from bench_pack_columns group by col`;
    for (const a of alone) columns[a.col]!.alone = a.bytes;
  } finally {
    await sql`drop table if exists bench_pack_columns`;
  }
  const lz4 = await lz4Bytes(sql, from, to);
  return { packs, rows, raw, stored, compressed, lz4, columns };
}

/** The packs' `data` of [from, to) stored as `book_event_packs` stores it, but with lz4. */
async function lz4Bytes(sql: Sql, from: Date, to: Date): Promise<number | null> {
  const [has] = await sql<{ lz4: boolean }[]>`
    select exists (select from pg_settings
                   where name = 'default_toast_compression' and 'lz4' = any(enumvals)) as lz4`;
  if (!has!.lz4) return null;
  await sql`create unlogged table bench_pack_lz4 (data bytea compression lz4)`;
  try {
    await sql`alter table bench_pack_lz4 alter column data set storage main`;
    await sql`alter table bench_pack_lz4 set (toast_tuple_target = 128)`;
    // `|| ''` detoasts: a value compressed by pglz would otherwise be copied as it is.
    await sql`
      insert into bench_pack_lz4
      select data || ''::bytea from book_event_packs where first_at >= ${from} and first_at < ${to}`;
    const [r] = await sql<{ n: number }[]>`
      select coalesce(sum(pg_column_size(data)), 0)::float8 as n from bench_pack_lz4`;
    return r!.n;
  } finally {
    await sql`drop table if exists bench_pack_lz4`;
  }
}

/** A pack's `data` cut into its five columns (by counting varints: n − 1, n − 1, n, n, n). */
export function splitColumns(data: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const [, count] of COLUMNS) {
    const from = at;
    for (let k = count(n); k > 0; at++) {
      if (at >= data.length) throw new Error(`Cannot split a pack of ${n} rows: it ends early`);
      if (data[at]! < 128) k--;
    }
    out.push(data.subarray(from, at));
  }
  if (at !== data.length) throw new Error(`Cannot split a pack of ${n} rows: bytes are left`);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += HEX[b]!;
  return s;
}
