/**
 * Retention on a TimescaleDB hypertable: `drop_chunks` restricted to chunks wholly older than
 * the cutoff whose every UTC day verifies against its export. Chunks are grouped by the days
 * they touch (a 2-hour chunk shares its day with eleven others; a misaligned chunk joins two
 * days), each group in one transaction that first locks every chunk touching those days.
 * A public view's storage hypertable (view_storage.ts) is freed the same way, its days verified
 * against the view's export.
 *
 * Not exercised by the plain-PostgreSQL test run; `deno task test:timescale` (or the suite with
 * TEST_EXPECT_TIMESCALE=1 against a TimescaleDB server) runs it in tests/retention_test.ts.
 */
import type { Sql } from "../db/client.ts";
import { quoteIdent } from "./_duckdb.ts";
import { dayPartition, deleteHourTotals, deletePackedRows } from "./partition.ts";
import { verifyDay } from "./verify_day.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import { rowsOfDay, storedMismatch } from "./view_storage.ts";

/** What retention did (or, dry run, would do) with one day or chunk group. */
export interface RetentionOutcome {
  readonly table: string;
  /** A day "YYYY-MM-DD", or a chunk range "first..last" on TimescaleDB. */
  readonly days: string;
  readonly action: "dropped" | "would_drop" | "skipped";
  readonly rows: number;
  readonly reason?: string;
  /** Days refused only because the database changed after their export. */
  readonly staleDays?: readonly string[];
  /** For a public view: the storage table its rows were (or would be) freed from. */
  readonly stored?: string;
}

export interface Hypertable {
  readonly schema: string;
  readonly name: string;
  /** Schema of the timescaledb extension (its functions live there). */
  readonly extensionSchema: string;
}

interface Chunk {
  readonly schema: string;
  readonly name: string;
  readonly start: Date;
  readonly end: Date;
}

/** The relation as a hypertable, or null (no TimescaleDB, or a plain table). */
export async function hypertableOf(sql: Sql, relation: string): Promise<Hypertable | null> {
  const extensionSchema = await timescaleSchema(sql);
  if (extensionSchema === null) return null;
  const [row] = await sql<{ schema: string; name: string }[]>`
    select h.hypertable_schema as schema, h.hypertable_name as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    join timescaledb_information.hypertables h
      on h.hypertable_schema = n.nspname and h.hypertable_name = c.relname
    where c.oid = to_regclass(${relation})`;
  return row === undefined ? null : { ...row, extensionSchema };
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/** Drops (or, dry run, lists) the verified old chunks of one hypertable. */
export async function dropVerifiedChunks(
  sql: Sql,
  hypertable: Hypertable,
  options: {
    table: string;
    timeColumn: string;
    cutoff: Date;
    out: string;
    dryRun: boolean;
    signal?: AbortSignal;
    /**
     * `table` is a public view stored in this hypertable (view_storage.ts): its days verify
     * against the view's export, and each must hold as many stored rows as the view showed.
     */
    stored?: string;
  },
): Promise<RetentionOutcome[]> {
  const stored = options.stored === undefined ? {} : { stored: options.stored };
  const chunks = await sql<Chunk[]>`
    select chunk_schema as schema, chunk_name as name, range_start as start, range_end as "end"
    from timescaledb_information.chunks
    where hypertable_schema = ${hypertable.schema} and hypertable_name = ${hypertable.name}
      and range_end <= ${options.cutoff}
    order by range_start`;
  const groups: Chunk[][] = [];
  for (const chunk of chunks) {
    const last = groups.at(-1);
    const lastDay = last === undefined ? null : dayOf(last.at(-1)!.end.getTime() - 1);
    if (last !== undefined && dayOf(chunk.start.getTime()) <= lastDay!) last.push(chunk);
    else groups.push([chunk]);
  }
  const outcomes: RetentionOutcome[] = [];
  const ts = `${quoteIdent(hypertable.extensionSchema)}.drop_chunks`;
  const rel = `${quoteIdent(hypertable.schema)}.${quoteIdent(hypertable.name)}`;
  for (const group of groups) {
    if (options.signal?.aborted) throw options.signal.reason;
    const firstMs = Math.floor(group[0]!.start.getTime() / DAY_MS) * DAY_MS;
    const lastMs = Math.floor((group.at(-1)!.end.getTime() - 1) / DAY_MS) * DAY_MS;
    const days: string[] = [];
    for (let t = firstMs; t <= lastMs; t += DAY_MS) days.push(dayOf(t));
    const span = days.length === 1 ? days[0]! : `${days[0]}..${days.at(-1)}`;
    const outcome = await sql.begin(async (tx): Promise<RetentionOutcome> => {
      const touching = await tx<{ schema: string; name: string }[]>`
        select chunk_schema as schema, chunk_name as name from timescaledb_information.chunks
        where hypertable_schema = ${hypertable.schema} and hypertable_name = ${hypertable.name}
          and range_end > ${new Date(firstMs)} and range_start < ${new Date(lastMs + DAY_MS)}`;
      const names = touching.map((c) => `${quoteIdent(c.schema)}.${quoteIdent(c.name)}`);
      await tx.unsafe(`lock table ${names.join(", ")} in share mode`);
      let rows = 0;
      for (const day of days) {
        const verdict = await verifyDay(
          tx,
          dayPartition(options.table, options.timeColumn, day),
          options.out,
        );
        if (!verdict.ok) {
          return {
            table: options.table,
            days: span,
            action: "skipped",
            rows: 0,
            reason: `${day}: ${verdict.reason}`,
            ...(verdict.stale === true ? { staleDays: [day] } : {}),
            ...stored,
          };
        }
        if (options.stored !== undefined) {
          const held = await rowsOfDay(tx, options.stored, options.timeColumn, day);
          if (held !== verdict.rows) {
            return {
              table: options.table,
              days: span,
              action: "skipped",
              rows: 0,
              reason: `${day}: ${
                storedMismatch(options.stored, held, options.table, verdict.rows)
              }`,
              ...stored,
            };
          }
        }
        rows += verdict.rows;
      }
      if (options.dryRun) {
        return { table: options.table, days: span, action: "would_drop", rows, ...stored };
      }
      for (const chunk of group) {
        await tx.unsafe(
          `select ${ts}($1::regclass, older_than => $2::timestamptz,
          newer_than => $3::timestamptz)`,
          [rel, chunk.end, chunk.start],
        );
        await deleteHourTotals(tx, options.table, chunk.start, chunk.end);
      }
      // The packed part of its rows (migration 0013), verified with them above.
      await deletePackedRows(tx, options.table, new Date(firstMs), new Date(lastMs + DAY_MS));
      return { table: options.table, days: span, action: "dropped", rows, ...stored };
    });
    outcomes.push(outcome);
  }
  return outcomes;
}
