/**
 * `pmcollect status`: what is being collected. Rows per time-series table in the last hour and
 * day, the latest run of each collector, open gaps, rejects, the database size, free disk and
 * days left (growth as measured by the running daemon), and, on TimescaleDB, the compression
 * ratio per hypertable and each background job's last run.
 *
 * @example
 * ```ts
 * import { runStatusCommand } from "./status_command.ts";
 * const code = await runStatusCommand(config, { log, signal, write });
 * ```
 */
import { createVenueHttp, openConfiguredDatabase } from "./_connect.ts";
import type { Sql } from "../db/client.ts";
import { migrationStatus, type SchemaMode } from "../db/migrate.ts";
import type { Config } from "../runtime/config.ts";
import { type CommandContext, formatTable } from "./migrate_command.ts";
import { qualityReport } from "../backfill/report.ts";
import { formatBookAgreement, measureBookAgreement } from "../stream/book_agreement.ts";
import { backfillBudgets } from "../backfill/estimate.ts";
import { readTimescaleJobs } from "../db/timescale_jobs.ts";
import { formatTimescaleJobs } from "../db/timescale_jobs_health.ts";
import { diskStatusLine } from "./_disk.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";

const SERIES = ["price_snapshots", "book_snapshots", "trades", "quotes"] as const;
/** The hypertable that stores each series (migration 0008 made three of them views). */
const STORED: Record<(typeof SERIES)[number], string> = {
  price_snapshots: "price_snapshot_data",
  book_snapshots: "book_snapshot_data",
  trades: "trades",
  quotes: "quote_data",
};

/** Prints the collection status; returns 0 (1 when the schema is not migrated yet). */
export async function runStatusCommand(
  config: Config,
  context: CommandContext & { readonly quality?: boolean },
): Promise<number> {
  const { log, signal, write } = context;
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 2 });
  try {
    const { mode, migrations } = await migrationStatus(db.sql);
    const pending = migrations.filter((m) => m.state === "pending").length;
    write(
      `database: ${db.backend}, mode: ${mode ?? "(not migrated)"}, pending migrations: ${pending}`,
    );
    if (mode === null) {
      write("run `pmcollect --migrate` first");
      return 1;
    }
    write("");
    write(await seriesTable(db.sql));
    write("");
    write(await runsTable(db.sql));
    write("");
    const [ops] = await db.sql<{ rejects: string; kinds: string; size: string }[]>`
      select (select coalesce(sum(occurrences), 0) from rejects) as rejects,
             (select count(*) from rejects) as kinds,
             pg_size_pretty(pg_database_size(current_database())) as size`;
    write(formatOpenGaps(await openGaps(db.sql)));
    write(`rejects: ${ops?.rejects} (${ops?.kinds} distinct payloads)`);
    write(`database size: ${ops?.size}`);
    write(await diskStatusLine(config, db.sql, signal));
    write(await compressionReport(db.sql, mode));
    write(formatTimescaleJobs(await readTimescaleJobs(db.sql), formatTable));
    if (context.quality === true) {
      write("");
      const http = createVenueHttp(config, {
        log,
        budgets: backfillBudgets(config.api.rateFraction),
      });
      write(await qualityReport(db.sql, { http, now: new Date(), signal }));
      write(formatBookAgreement(await measureBookAgreement(db.sql, { now: new Date() })));
    }
    return 0;
  } finally {
    await db.close(5);
  }
}

/** Open (not backfilled) gaps of one collector: rows, and token-intervals they stand for. */
export interface OpenGaps {
  collector: string;
  rows: number;
  tokenIntervals: number;
}

async function openGaps(sql: Sql): Promise<OpenGaps[]> {
  const rows = await sql<{ collector: string; rows: string; intervals: string }[]>`
    select collector, count(*) as rows, sum(coalesce(cardinality(tokens), 1)) as intervals
    from gaps where backfilled_at is null group by collector order by collector`;
  return rows.map((r) => ({
    collector: r.collector,
    rows: Number(r.rows),
    tokenIntervals: Number(r.intervals),
  }));
}

/**
 * The "open gaps" line. A row may list many tokens (a connection outage, a books cycle), so
 * rows alone say little: each listed token's interval counts once, a row without a token list
 * (one token, one market or `*`) once, as in the quality report.
 *
 * @example
 * ```ts
 * import { formatOpenGaps } from "./status_command.ts";
 * formatOpenGaps([{ collector: "trades", rows: 2, tokenIntervals: 900 }]);
 * // "open gaps: 2 rows, 900 token-intervals (trades 2 rows, 900)"
 * ```
 */
export function formatOpenGaps(gaps: readonly OpenGaps[]): string {
  const rows = gaps.reduce((n, g) => n + g.rows, 0);
  const intervals = gaps.reduce((n, g) => n + g.tokenIntervals, 0);
  const head = `open gaps: ${plural(rows, "row")}, ${plural(intervals, "token-interval")}`;
  if (gaps.length === 0) return head;
  const each = gaps.map((g) => `${g.collector} ${plural(g.rows, "row")}, ${g.tokenIntervals}`);
  return `${head} (${each.join("; ")})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function seriesTable(sql: Sql): Promise<string> {
  const rows: string[][] = [["table", "last hour", "last day", "latest ts"]];
  for (const table of SERIES) {
    const [row] = await sql<{ hour: string; day: string; latest: Date | null }[]>`
      select count(*) filter (where ts > now() - interval '1 hour') as hour,
             count(*) as day,
             max(ts) as latest
      from ${sql(table)} where ts > now() - interval '1 day'`;
    rows.push([table, row?.hour ?? "0", row?.day ?? "0", row?.latest?.toISOString() ?? "-"]);
  }
  return formatTable(rows);
}

async function runsTable(sql: Sql): Promise<string> {
  const runs = await sql<
    {
      collector: string;
      started_at: Date;
      finished_at: Date | null;
      status: string;
      rows_written: string;
      errors: number;
      rejects: number;
    }[]
  >`
    select distinct on (collector) collector, started_at, finished_at, status, rows_written,
           errors, rejects
    from collector_runs order by collector, started_at desc`;
  if (runs.length === 0) return "collector runs: none yet";
  return formatTable([
    ["collector", "last started", "finished", "status", "rows", "errors", "rejects"],
    ...runs.map((r) => [
      r.collector,
      r.started_at.toISOString(),
      r.finished_at?.toISOString() ?? "-",
      r.status,
      String(r.rows_written),
      String(r.errors),
      String(r.rejects),
    ]),
  ]);
}

/** The compression section: one table on TimescaleDB, one line on plain PostgreSQL. */
export async function compressionReport(sql: Sql, mode: SchemaMode): Promise<string> {
  if (mode !== "timescale") return "compression: not available (plain PostgreSQL)";
  const rows: string[][] = [["hypertable", "before", "after", "ratio"]];
  for (const table of SERIES) {
    const stats = await hypertableCompression(sql, STORED[table]);
    if (stats === null) {
      rows.push([table, "-", "-", "no compressed chunks yet"]);
      continue;
    }
    const ratio = stats.after > 0 ? `${(stats.before / stats.after).toFixed(1)}x` : "-";
    rows.push([table, formatBytes(stats.before), formatBytes(stats.after), ratio]);
  }
  return "compression:\n" + formatTable(rows);
}

/**
 * TimescaleDB only (cannot run on plain PostgreSQL, so it is not exercised by the tests):
 * total bytes before and after compression from `hypertable_compression_stats`, or null while
 * nothing is compressed yet (the function then returns null bytes, or no row at all). The
 * function is called through the extension's schema, which need not be on search_path (a
 * per-schema database has only its own schema there); the table resolves via search_path.
 */
async function hypertableCompression(
  sql: Sql,
  table: string,
): Promise<{ before: number; after: number } | null> {
  const ts = await timescaleSchema(sql);
  if (ts === null) return null;
  const [row] = await sql<{ before: string | null; after: string | null }[]>`
    select before_compression_total_bytes::text as before,
           after_compression_total_bytes::text as after
    from ${sql(ts)}.hypertable_compression_stats(${table}::regclass)`;
  if (row?.before == null || row.after == null) return null;
  return { before: Number(row.before), after: Number(row.after) };
}

/** Bytes in binary units with one decimal, e.g. "1.5 GiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
