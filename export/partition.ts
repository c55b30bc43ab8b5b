/**
 * One partition of an export: a table's rows of one UTC day (`date=YYYY-MM-DD`), or the whole
 * table when it has no time column (`all`). Here are the SQL pieces every step shares: the
 * session settings that make text output canonical, the row filter, and the checksum.
 *
 * The checksum is the row count plus the sum, as an exact numeric, of the first 64 bits of
 * `md5(row::text)` over the partition's rows, under the canonical settings. A sum does not
 * depend on row order, so PostgreSQL computes it in one pass without sorting or sending rows.
 *
 * @example
 * ```ts
 * import { dayPartition, partitionChecksum } from "./partition.ts";
 * const p = dayPartition("trades", "ts", "2026-11-30");
 * await sql.begin(async (tx) => partitionChecksum(tx, p)); // { rows: 1234, checksum: "98…" }
 * ```
 */
import type { Queryable } from "../db/client.ts";
import { quoteIdent } from "./_duckdb.ts";
import type { ExportColumn } from "./columns.ts";

export interface Partition {
  readonly table: string;
  /** The timestamptz column days are cut on; null = the whole table. */
  readonly timeColumn: string | null;
  /** "YYYY-MM-DD" (UTC), or null for the whole table. */
  readonly day: string | null;
}

export interface PartitionChecksum {
  readonly rows: number;
  /** Decimal string (see the module header). */
  readonly checksum: string;
}

/** The name of the algorithm recorded in every manifest. */
export const CHECKSUM_ALGORITHM = "sum-md5-64/v1";

/** A day partition. @throws {RangeError} for a malformed day. */
export function dayPartition(table: string, timeColumn: string, day: string): Partition {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new RangeError(`Not a day: "${day}" (expected YYYY-MM-DD)`);
  }
  return { table, timeColumn, day };
}

/** The folder below `<out>/<table>/`: `date=YYYY-MM-DD` or `all`. */
export function partitionFolder(partition: Partition): string {
  return partition.day === null ? "all" : `date=${partition.day}`;
}

/** [start, end) of the partition's day, or null for the whole table. */
export function dayBounds(partition: Partition): { from: Date; to: Date } | null {
  if (partition.day === null) return null;
  const from = new Date(`${partition.day}T00:00:00Z`);
  return { from, to: new Date(from.getTime() + 86_400_000) };
}

/** `schema.table` or `table`, each part quoted. */
export function quoteRelation(relation: string): string {
  return relation.split(".").map(quoteIdent).join(".");
}

/**
 * Tables whose day is read through a function of the interval, because part of their rows is
 * packed (migration 0013): the function unpacks only that day's packs.
 */
const DAY_SOURCES: Readonly<Record<string, string>> = {
  book_events: "book_events_between($1, $2)",
  book_event_rows: "book_event_rows_between($1, $2)",
};

/** Tables part of whose rows live packed in another (migration 0013), by that table. */
const PACKED_IN: Readonly<Record<string, string>> = { book_event_rows: "book_event_packs" };

/** The table holding `table`'s packed rows (time column `first_at`), if it has one. */
export function packedTableOf(table: string): string | undefined {
  return PACKED_IN[table];
}

/**
 * Deletes the packs of `table` (if it has packed rows) that start in [from, to): a pack lies in
 * one 6-hour window, so it goes with its day. Returns the rows they held.
 */
export async function deletePackedRows(
  tx: Queryable,
  table: string,
  from: Date,
  to: Date,
): Promise<number> {
  const packs = packedTableOf(table);
  if (packs === undefined) return 0;
  const [row] = await tx.unsafe<{ n: string }[]>(
    `with d as (delete from ${quoteRelation(packs)} where first_at >= $1 and first_at < $2
                returning n)
     select coalesce(sum(n), 0)::text as n from d`,
    [from, to],
  );
  return Number(row!.n);
}

/** Tables whose rows another table totals per UTC hour (migration 0025), by that table. */
const HOUR_TOTALS_OF: Readonly<Record<string, string>> = { trades: "trade_hours" };

/**
 * Deletes the hourly totals kept of `table`'s rows (if any are) for the hours wholly in
 * [from, to), once retention has dropped those rows: totals of trades no longer stored would
 * still count in a dataset built from this database, and would grow without end. An hour that
 * straddles `to` keeps its total.
 */
export async function deleteHourTotals(
  tx: Queryable,
  table: string,
  from: Date,
  to: Date,
): Promise<void> {
  const totals = HOUR_TOTALS_OF[table];
  if (totals === undefined) return;
  await tx.unsafe(
    `delete from ${quoteRelation(totals)}
     where hour >= $1 and hour <= $2::timestamptz - interval '1 hour'`,
    [from, to],
  );
}

/** What a partition's rows are selected from: its relation, or for a day its day source. */
export function partitionSource(partition: Partition): string {
  const source = DAY_SOURCES[partition.table];
  return source !== undefined && rowFilter(partition).params.length > 0
    ? source
    : quoteRelation(partition.table);
}

/** `where <time> >= $1 and <time> < $2` (with its parameters), or nothing. */
export function rowFilter(partition: Partition): { where: string; params: Date[] } {
  const bounds = dayBounds(partition);
  if (bounds === null || partition.timeColumn === null) return { where: "", params: [] };
  const c = `t.${quoteIdent(partition.timeColumn)}`;
  return { where: `where ${c} >= $1 and ${c} < $2`, params: [bounds.from, bounds.to] };
}

/**
 * Makes text output canonical for the rest of the transaction `tx`: UTC timestamps, ISO dates,
 * shortest exact floats, hex bytea.
 */
export async function useCanonicalText(tx: Queryable): Promise<void> {
  await tx.unsafe(`set local timezone = 'UTC'; set local datestyle = 'ISO, YMD';
    set local intervalstyle = 'postgres'; set local extra_float_digits = 1;
    set local bytea_output = 'hex'`);
}

/** Row count and checksum of the partition, computed by the database (canonical settings on). */
export async function partitionChecksum(
  tx: Queryable,
  partition: Partition,
): Promise<PartitionChecksum> {
  const { where, params } = rowFilter(partition);
  const [row] = await tx.unsafe<{ rows: string; checksum: string }[]>(
    `select count(*)::text as rows,
       coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text
         as checksum
     from ${partitionSource(partition)} t ${where}`,
    params,
  );
  return { rows: Number(row?.rows ?? 0), checksum: row?.checksum ?? "0" };
}

/**
 * For each unconstrained numeric column (or array of them): do all of the partition's values
 * fit DECIMAL(38,18) (at most 18 decimals, |v| < 10^20, not NaN)? Keyed by column name.
 */
export async function wideDecimalFit(
  tx: Queryable,
  partition: Partition,
  columns: readonly ExportColumn[],
): Promise<Map<string, boolean>> {
  const fit = new Map<string, boolean>();
  const { where, params } = rowFilter(partition);
  const relation = partitionSource(partition);
  const test = (v: string) =>
    `coalesce(bool_and(coalesce(scale(${v}) <= 18 and abs(${v}) < 1e20, false))
       filter (where ${v} is not null), true)`;
  const unbounded = columns.filter((c) => c.unboundedNumeric);
  // Scalar columns in one scan; each array column needs its own (unnest).
  const scalars = unbounded.filter((c) => !c.isArray);
  if (scalars.length > 0) {
    const list = scalars.map((c, i) => `${test(`t.${quoteIdent(c.name)}`)} as ok${i}`);
    const [row] = await tx.unsafe<Record<string, boolean>[]>(
      `select ${list.join(", ")} from ${relation} t ${where}`,
      params,
    );
    scalars.forEach((c, i) => fit.set(c.name, row?.[`ok${i}`] ?? true));
  }
  for (const column of unbounded.filter((c) => c.isArray)) {
    const c = `t.${quoteIdent(column.name)}`;
    const [row] = await tx.unsafe<{ ok: boolean }[]>(
      `select ${test("e")} as ok from ${relation} t cross join lateral unnest(${c}) e ${where}`,
      params,
    );
    fit.set(column.name, row?.ok ?? true);
  }
  return fit;
}
