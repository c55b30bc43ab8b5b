/**
 * `pmcollect status`: what is being collected. Rows per time-series table in the last hour and
 * day, the latest run of each collector, open gaps, rejects, the database size, free disk (in
 * units that fit its size), growth and days left as the running collector measured them (its
 * `/healthz`; "unknown" with why when there is none or it has not measured long enough), the
 * relation registry's counts by status and the scanner's relations and open episodes (from the
 * running collector, else what the database holds), the forecasts' live skill against the
 * market (`_forecast_status.ts`), and, on TimescaleDB, the compression
 * ratio per hypertable and each background job's last run. `--quality` adds the gap report and
 * the recorded stream checked against the REST books at the instant each was taken.
 *
 * A database server that does not answer within `connectTimeoutMs` (5 s) ends the command
 * with a DatabaseUnreachableError (main.ts prints it and exits 1) instead of waiting for it
 * as `run` does.
 *
 * @example
 * ```ts
 * import { runStatusCommand } from "./status_command.ts";
 * const code = await runStatusCommand(config, { log, signal, write });
 * ```
 */
import { createVenueHttp, openConfiguredDatabase } from "./_connect.ts";
import type { Database, Sql } from "../db/client.ts";
import { migrationStatus, type SchemaMode } from "../db/migrate.ts";
import type { Config } from "../runtime/config.ts";
import { type CommandContext, formatTable } from "./migrate_command.ts";
import { qualityReport } from "../backfill/report.ts";
import { formatBookAgreement, measureBookAgreement } from "../stream/book_agreement.ts";
import { backfillBudgets } from "../backfill/estimate.ts";
import { readTimescaleJobs } from "../db/timescale_jobs.ts";
import { formatTimescaleJobs } from "../db/timescale_jobs_health.ts";
import { diskStatusLine, formatBytes, readDiskNow } from "./_disk.ts";
import { timescaleSchema } from "../db/timescale_schema.ts";
import {
  type CollectorHealth,
  databaseIdentity,
  describeCollector,
  readCollectorHealth,
  reportedNumber,
} from "./_collector_health.ts";
import { countRelationsByStatus } from "../relations/registry.ts";
import { tradingState } from "../execution/trading_state.ts";
import { formatTrading } from "./_trading_status.ts";
import { formatForecastStatus } from "./_forecast_status.ts";
import { liveSkill } from "../models/forecast_store.ts";
import type { RelationStatus } from "../relations/derive.ts";

/** export_command.ts formats its sizes the same way. */
export { formatBytes };

/** How long `status` waits for a database server before giving up. */
export const STATUS_CONNECT_TIMEOUT_MS = 5_000;

/** The database server did not answer within the bound; main.ts prints it and exits 1. */
export class DatabaseUnreachableError extends Error {
  readonly address: string;
  readonly waitedMs: number;
  constructor(address: string, waitedMs: number, options?: ErrorOptions) {
    super(
      `Cannot reach the database at ${address} within ${waitedMs / 1000} s: is the server ` +
        `running, and is DATABASE_URL right? (status gives up; \`run\` keeps retrying)`,
      options,
    );
    this.name = "DatabaseUnreachableError";
    this.address = address;
    this.waitedMs = waitedMs;
  }
}

const SERIES = ["price_snapshots", "book_snapshots", "trades", "quotes"] as const;
/** The hypertable that stores each series (migration 0008 made three of them views). */
const STORED: Record<(typeof SERIES)[number], string> = {
  price_snapshots: "price_snapshot_data",
  book_snapshots: "book_snapshot_data",
  trades: "trades",
  quotes: "quote_data",
};

/**
 * Prints the collection status; returns 0 (1 when the schema is not migrated yet).
 * @throws {DatabaseUnreachableError} when a server does not answer within the bound.
 */
export async function runStatusCommand(
  config: Config,
  context: CommandContext & { readonly quality?: boolean; readonly connectTimeoutMs?: number },
): Promise<number> {
  const { log, signal, write } = context;
  const db = await openWithin(config, context);
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
    const health = await readCollectorHealth(config.health.port, {
      signal,
      database: await databaseIdentity(db.sql),
    });
    write(diskStatusLine(await readDiskNow(config, db.sql), health));
    write(formatRelations(await countRelationsByStatus(db.sql), health));
    write(formatScanner(await scannerFromDatabase(db.sql), health));
    write(formatTrading(await tradingState(db.sql), health));
    write(formatForecastStatus(await liveSkill(db.sql), health));
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

/** Opens the database; a server still unreachable after the bound ends the command. */
async function openWithin(
  config: Config,
  context: CommandContext & { readonly connectTimeoutMs?: number },
): Promise<Database> {
  const { log, signal } = context;
  const waitMs = context.connectTimeoutMs ?? STATUS_CONNECT_TIMEOUT_MS;
  const bound = AbortSignal.timeout(waitMs);
  try {
    return await openConfiguredDatabase(config, {
      log,
      signal: AbortSignal.any([signal, bound]),
      poolSize: 2,
    });
  } catch (err) {
    if (signal.aborted || !bound.aborted || config.database.url === undefined) throw err;
    const url = new URL(config.database.url);
    const address = `${url.hostname || "localhost"}:${url.port || "5432"}`;
    throw new DatabaseUnreachableError(address, waitMs, { cause: err });
  }
}

const STATUS_ORDER: readonly RelationStatus[] = [
  "confirmed",
  "incomplete",
  "proposed",
  "stale",
  "rejected",
];

/**
 * The registry line: relations by status, and when the running collector's refresh task last
 * refreshed them.
 *
 * @example
 * ```ts
 * import { formatRelations } from "./status_command.ts";
 * formatRelations({ confirmed: 12, proposed: 3 }, { kind: "absent", port: 9464 });
 * // "relations: 12 confirmed, 0 incomplete, 3 proposed, 0 stale, 0 rejected (last refresh:
 * //  unknown, no running collector answered on 127.0.0.1:9464)"
 * ```
 */
export function formatRelations(
  byStatus: Partial<Record<RelationStatus, number>>,
  health: CollectorHealth,
): string {
  const counts = STATUS_ORDER.map((s) => `${byStatus[s] ?? 0} ${s}`).join(", ");
  const task = health.kind === "running" ? health.tasks.get("relations") : undefined;
  const at = task?.lastSuccessAt;
  const refresh = health.kind !== "running"
    ? `unknown, ${describeCollector(health)}`
    : task === undefined
    ? "the running collector has no refresh task (PMCOLLECT_RELATIONS_REFRESH_S=0)"
    : typeof at === "string"
    ? `${at} by the running collector`
    : "not yet (the running collector's first refresh is under way)";
  return `relations: ${counts} (last refresh: ${refresh})`;
}

/** What the database says of the scanner when no collector can be asked. */
export interface ScannerFromDatabase {
  /** Confirmed partitions and chains: what a scanner would load. */
  readonly loadable: number;
  /** Live episodes of the last day without an end. */
  readonly openEpisodes: number;
}

async function scannerFromDatabase(sql: Sql): Promise<ScannerFromDatabase> {
  const [row] = await sql<{ loadable: number; open: number }[]>`
    select (select count(*)::int from relations where status = 'confirmed'
              and (type = 'partition' or type = 'implies' or type like 'ladder\_%')) as loadable,
           (select count(*)::int from episodes where not replayed and ended_at is null
              and started_at > now() - interval '1 day') as open`;
  return { loadable: row?.loadable ?? 0, openEpisodes: row?.open ?? 0 };
}

/**
 * The scanner line: the relations the running scanner holds and its open episodes (or why it
 * is idle), else what the database holds.
 *
 * @example
 * ```ts
 * import { formatScanner } from "./status_command.ts";
 * formatScanner({ loadable: 4, openEpisodes: 1 }, { kind: "absent", port: 9464 });
 * // "scanner: not running (no running collector answered on 127.0.0.1:9464); in the
 * //  database: 4 confirmed relations to load, 1 live episode not ended"
 * ```
 */
export function formatScanner(db: ScannerFromDatabase, health: CollectorHealth): string {
  const fromDb = `${db.loadable} confirmed ${db.loadable === 1 ? "relation" : "relations"} ` +
    `to load, ${db.openEpisodes} live ${db.openEpisodes === 1 ? "episode" : "episodes"} not ended`;
  const relations = reportedNumber(health, "scanner", "relations");
  if (health.kind !== "running") {
    return `scanner: not running (${describeCollector(health)}); in the database: ${fromDb}`;
  }
  if (!health.tasks.has("scanner")) {
    return `scanner: off in the running collector; in the database: ${fromDb}`;
  }
  if (relations === null) return `scanner: starting; in the database: ${fromDb}`;
  const tokens = reportedNumber(health, "scanner", "watchedTokens");
  const open = reportedNumber(health, "scanner", "openEpisodes") ?? 0;
  const idle = health.tasks.get("scanner")?.idle;
  const why = typeof idle === "string" && idle !== "" ? ` (idle: ${idle})` : "";
  return `scanner: holds ${relations} relations${tokens === null ? "" : ` (${tokens} tokens)`}` +
    `${why}, ${open} open episodes, per the running collector (127.0.0.1:${health.port})`;
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
