/**
 * Where a compressed TimescaleDB hypertable's bytes go, for the storage and stream benches:
 * its compressed batches, and the bytes per stored row of each column of the compressed chunks
 * (the segment-by and order-by metadata columns included). What is not in a column is tuple
 * headers and TOAST pointers.
 *
 * @example
 * ```ts ignore
 * import { compressedColumns } from "./_compressed_columns.ts";
 * printText("stdout", await compressedColumns(sql, schema, "book_events"));
 * ```
 */
import type { Sql } from "../db/client.ts";

/** Where a compressed hypertable's bytes go: batches, and bytes per row of each column. */
export async function compressedColumns(sql: Sql, schema: string, table: string): Promise<string> {
  const chunks = await sql<{ name: string }[]>`
    select format('%I.%I', cc.schema_name, cc.table_name) as name
    from _timescaledb_catalog.chunk c
    join _timescaledb_catalog.chunk cc on cc.id = c.compressed_chunk_id
    join _timescaledb_catalog.hypertable h on h.id = c.hypertable_id
    where h.schema_name = ${schema} and h.table_name = ${table}`;
  if (chunks.length === 0) return `  ${table}: no compressed chunk`;
  const columns = (await sql<{ name: string }[]>`
    select attname as name from pg_attribute
    where attrelid = ${chunks[0]!.name}::regclass and attnum > 0 and not attisdropped
    order by attnum`).map((r) => r.name);
  const select = columns.map((c) =>
    `coalesce(sum(pg_column_size("${c.replaceAll('"', '""')}")), 0)::int8`
  )
    .join(", ");
  const totals = new Array<number>(columns.length).fill(0);
  let batches = 0;
  for (const chunk of chunks) {
    const [row] = await sql.unsafe(`select count(*)::int8, ${select} from ${chunk.name}`).values();
    batches += Number(row![0]);
    columns.forEach((_, i) => totals[i]! += Number(row![i + 1]));
  }
  const [rows] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)}`;
  const per = (b: number) => (b / rows!.n).toFixed(2);
  return `  ${table}: ${batches} compressed batches (${(rows!.n / batches).toFixed(0)} rows each ` +
    `on average); column bytes/row ${columns.map((c, i) => `${c} ${per(totals[i]!)}`).join(", ")}`;
}
