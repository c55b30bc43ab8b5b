/**
 * Where a compressed book hypertable's bytes go, column by column, per row and per distinct
 * book (issue 26), for the books bench. For each compressed batch: its rows, the distinct books
 * among them (rows whose levels differ from the token's previous row) and the bytes of each
 * column of the compressed chunk; then, per column and for the whole batch row, a least-squares
 * fit of bytes = fixed + per distinct book × distinct + per row × rows over the batches.
 *
 * @example
 * ```ts ignore
 * import { batchColumnFit } from "./_book_batch_columns.ts";
 * printText("stdout", await batchColumnFit(sql, "book_snapshot_data", { extensionSchema }));
 * ```
 */
import type { Sql } from "../db/client.ts";

/** The per-column report of `table` (a compressed hypertable of the current schema). */
export async function batchColumnFit(
  sql: Sql,
  table: string,
  options: {
    extensionSchema: string;
    /** The table whose levels tell distinct books (same rows, full levels); `table` by default. */
    levelsFrom?: string;
  },
): Promise<string> {
  const ts = `"${options.extensionSchema.replaceAll('"', '""')}"`;
  const chunks = (await sql<{ name: string }[]>`
    select format('%I.%I', cc.schema_name, cc.table_name) as name
    from _timescaledb_catalog.chunk c
    join _timescaledb_catalog.chunk cc on cc.id = c.compressed_chunk_id
    join _timescaledb_catalog.hypertable h on h.id = c.hypertable_id
    where h.schema_name = current_schema() and h.table_name = ${table}`).map((c) => c.name);
  if (chunks.length === 0) return `${table}: no compressed chunk`;
  const columns = (await sql<{ name: string }[]>`
    select attname as name from pg_attribute
    where attrelid = ${chunks[0]!}::regclass and attnum > 0 and not attisdropped
    order by attnum`).map((r) => r.name);
  const sizes = columns.map((c, i) => `pg_column_size(x."${c}")::float8 as c${i}`).join(", ");
  const batches = chunks.map((c) =>
    `select token_key, _ts_meta_min_1 as lo, _ts_meta_max_1 as hi, _ts_meta_count::float8 as n,
            pg_column_size(x.*)::float8 as total, ${sizes}
     from ${c} x`
  ).join(" union all ");
  const rows = await sql.unsafe<Record<string, number>[]>(
    `with b as (
       select token_key, ts,
              (bid_prices, bid_sizes, ask_prices, ask_sizes) is distinct from
                lag((bid_prices, bid_sizes, ask_prices, ask_sizes))
                  over (partition by token_key order by ts) as changed
       from ${options.levelsFrom ?? table}),
     k as (${batches})
     select k.*, (select count(*) filter (where b.changed) from b
                  where b.token_key = k.token_key and b.ts between k.lo and k.hi)::float8
                   as distinct_books
     from k`,
  );
  const [size] = await sql.unsafe<{ bytes: number; rows: number }[]>(
    `select ${ts}.hypertable_size($1::regclass)::float8 as bytes,
            (select count(*) from ${table})::float8 as rows`,
    [table],
  );
  const sum = (f: (r: Record<string, number>) => number) => rows.reduce((t, r) => t + f(r), 0);
  const n = sum((r) => r.n!);
  const distinct = sum((r) => r.distinct_books!);
  const oneSize = rows.every((r) => r.n === rows[0]?.n);
  const fit = leastSquares(rows, ["total", ...columns.map((_, i) => `c${i}`)]);
  const line = (name: string, key: string) => {
    const f = fit.get(key);
    const coef = f === null || f === undefined
      ? "not fitted"
      : `${f[0]!.toFixed(0)} B + ${f[1]!.toFixed(1)} B/distinct + ` +
        (oneSize ? "(batches all of one size: no per-row term)" : `${f[2]!.toFixed(2)} B/row`);
    return `    ${name}: ${(sum((r) => r[key] ?? 0) / n).toFixed(2)} B/row, ` +
      `${(sum((r) => r[key] ?? 0) / distinct).toFixed(1)} B/distinct; fit ${coef}`;
  };
  return [
    `${table}: ${size!.rows} rows, ${distinct} distinct books ` +
    `(${(distinct / n * 100).toFixed(1)}%), ${rows.length} compressed batches ` +
    `(${(n / rows.length).toFixed(0)} rows each), ${(size!.bytes / 1e6).toFixed(2)} MB on disk ` +
    `(${(size!.bytes / n).toFixed(2)} B/row, ${(size!.bytes / distinct).toFixed(1)} B/distinct)`,
    line("whole batch row", "total"),
    ...columns.map((c, i) => line(c, `c${i}`)),
  ].join("\n");
}

/** Per key: [fixed, per distinct, per row] fitted over the batches, or null when singular. */
function leastSquares(
  rows: readonly Record<string, number>[],
  keys: readonly string[],
): Map<string, number[] | null> {
  const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const v = new Map(keys.map((k) => [k, [0, 0, 0]]));
  for (const r of rows) {
    const x = [1, r.distinct_books!, r.n!];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) m[i]![j]! += x[i]! * x[j]!;
      for (const k of keys) v.get(k)![i]! += x[i]! * (r[k] ?? 0);
    }
  }
  // Batches all of one size cannot tell the fixed cost from the cost per row (the system is
  // then singular up to rounding): bytes = fixed + per distinct × distinct alone.
  const two = [[m[0]![0]!, m[0]![1]!, 0], [m[1]![0]!, m[1]![1]!, 0], [0, 0, 1]];
  const oneSize = rows.every((r) => r.n === rows[0]?.n);
  return new Map(keys.map((k) => {
    const b = v.get(k)!;
    const two3 = () => solve3(two, [b[0]!, b[1]!, 0]);
    return [k, oneSize ? two3() : solve3(m, b) ?? two3()];
  }));
}

/** Solves the 3×3 system `m·x = v` (Cramer's rule); null when singular. */
export function solve3(m: number[][], v: number[]): number[] | null {
  const det = (a: number[][]) =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) -
    a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) +
    a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  if (Math.abs(d) < 1e-9) return null;
  return [0, 1, 2].map((k) => det(m.map((row, i) => row.map((x, j) => (j === k ? v[i]! : x)))) / d);
}
