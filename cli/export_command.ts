/**
 * `pmcollect export`: writes tables as ZSTD Parquet partitioned by table and UTC day
 * (`<out>/<table>/date=YYYY-MM-DD/part-NNNNN.parquet` + `_manifest.json`), skipping days already
 * exported with intact files unless `--force`, then, with `--retain-days N`, drops from the
 * database the days older than N days whose export verifies (a day that changed after its
 * export is exported again first). The public views `price_snapshots`, `book_snapshots` and
 * `quotes` are exported as views (token ids, decimals) and their days freed in the tables that
 * store them. A day is exported only once it is over (export/day_complete.ts). `--dry-run`
 * changes nothing and says what would happen. Layout, types and syncing to object storage:
 * docs/export.md.
 *
 * @example
 * ```sh
 * pmcollect export --out /srv/parquet --since 2026-11-01
 * pmcollect export --out /srv/parquet --tables trades,quotes --retain-days 30 --dry-run
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { EXPORT_OPTIONS, UsageError } from "./command_line.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import { formatBytes } from "./status_command.ts";
import type { Sql } from "../db/client.ts";
import type { Config } from "../runtime/config.ts";
import { readColumns } from "../export/columns.ts";
import { exportPartition, ExportWouldShrinkError } from "../export/export_partition.ts";
import {
  dayPartition,
  type Partition,
  partitionFolder,
  quoteRelation,
} from "../export/partition.ts";
import { readManifest, verifyFiles } from "../export/manifest.ts";
import { join } from "node:path";
import { applyRetention } from "../export/retention.ts";
import { dayCompleteAt, isDayComplete } from "../export/day_complete.ts";
import { outFolderProblem } from "../export/out_folder.ts";
import { printText } from "../runtime/log.ts";

const DEFAULT_TABLES = ["price_snapshots", "book_snapshots", "trades", "quotes"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const RELATION = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

export interface ExportArgs {
  readonly out: string;
  readonly tables: readonly string[];
  readonly since?: string;
  readonly until?: string;
  readonly timeColumn: string;
  readonly retainDays?: number;
  readonly dryRun: boolean;
  readonly force: boolean;
}

/** Parses the options `parseCommandLine` handed on. @throws {UsageError} */
export function parseExportArgs(args: readonly string[]): ExportArgs {
  const v = parseOwnOptions(withDashValues(args), { options: EXPORT_OPTIONS }).values;
  if (v.out === undefined || v.out === "") throw new UsageError("--out DIR is required");
  const tables = v.tables === undefined
    ? DEFAULT_TABLES
    : v.tables.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bad = tables.find((t) => !RELATION.test(t));
  if (bad !== undefined || tables.length === 0) {
    throw new UsageError(`--tables: "${bad ?? ""}" is not a table name`);
  }
  for (const [name, day] of [["since", v.since], ["until", v.until]] as const) {
    if (day !== undefined && (!DAY.test(day) || Number.isNaN(Date.parse(day)))) {
      throw new UsageError(`--${name} must be a day YYYY-MM-DD, got "${day}"`);
    }
  }
  const retain = v["retain-days"];
  if (retain !== undefined && !/^[1-9]\d{0,5}$/.test(retain)) {
    throw new UsageError(`--retain-days must be a whole number of days ≥ 1, got "${retain}"`);
  }
  return {
    out: v.out,
    tables,
    since: v.since,
    until: v.until,
    timeColumn: v["time-column"] ?? "ts",
    retainDays: retain === undefined ? undefined : Number(retain),
    dryRun: v["dry-run"] === true,
    force: v.force === true,
  };
}

/**
 * `--retain-days -1` as `--retain-days=-1`: a value of a string option is taken as it comes,
 * even when it starts with "-", so that it reaches the check of its value (node:util would
 * call it ambiguous).
 */
export function withDashValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.startsWith("--") ? args[i]!.slice(2) : "";
    const option = (EXPORT_OPTIONS as Record<string, { type: string }>)[name];
    const value = args[i + 1];
    if (option?.type === "string" && value !== undefined && /^-[^-]/.test(value)) {
      out.push(`--${name}=${value}`);
      i += 1;
    } else out.push(args[i]!);
  }
  return out;
}

/**
 * Runs the command; returns the exit code: 2 for bad options, including an `--out` folder
 * that cannot be written (checked before anything is done), 1 when a table failed.
 */
export async function runExportCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[]; readonly program: string },
): Promise<number> {
  const { log, signal, write } = context;
  const args = parseOrReport("export", parseExportArgs, context.args);
  if (args === null) return 2;
  const problem = await outFolderProblem(args.out, { create: !args.dryRun });
  if (problem !== null) {
    printText("stderr", `pmcollect export: cannot write to --out ${args.out}: ${problem}`);
    return 2;
  }
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 2 });
  try {
    const now = new Date();
    const run: TableRun = { sql: db.sql, args, context, now };
    for (const table of await localNames(db.sql, args.tables)) {
      const columns = await readColumns(db.sql, table);
      const timed = columns.some((c) => c.name === args.timeColumn);
      const partitions: Partition[] = timed
        ? (await exportDays(db.sql, table, args, now)).map((d) =>
          dayPartition(table, args.timeColumn, d)
        )
        : [{ table, timeColumn: null, day: null }];
      // A day not over yet is never written (docs/export.md, "Days in progress").
      const open = partitions.filter((p) => p.day !== null && !isDayComplete(p.day, now));
      if (open.length > 0) {
        const [first, last] = [open[0]!.day!, open.at(-1)!.day!];
        write(
          `${table} ${first === last ? first : `${first}..${last}`}: in progress, not exported ` +
            `(${first} is complete from ${dayCompleteAt(first).toISOString()})`,
        );
      }
      if (timed && partitions.length === 0) {
        write(`${table}: nothing to export (${await emptyReason(db.sql, table, args, now)})`);
      }
      let done = 0;
      for (const partition of partitions) {
        if (signal.aborted) throw signal.reason;
        if (open.includes(partition)) continue;
        if (!args.force && partition.day !== null && await alreadyExported(args.out, partition)) {
          done += 1;
          continue;
        }
        await exportOne(run, partition);
      }
      if (done > 0) write(`${table}: ${done} days already exported (--force to export again)`);
      if (args.retainDays !== undefined && timed) await retain(run, table, args.retainDays);
    }
    return 0;
  } finally {
    await db.close(5);
  }
}

/**
 * Each name as this database's own tables are known: a name qualified with the session's own
 * schema (`public.trades`) loses the qualifier. Export folders, and what retention frees beside
 * a table (its packed rows, its hourly totals, a view's storage table), go by the bare name: the
 * qualified one wrote `public.trades/`, which a dataset build does not read, and its retention
 * left `trade_hours` counting the trades it dropped. A table of another schema keeps its name.
 */
export async function localNames(sql: Sql, tables: readonly string[]): Promise<string[]> {
  const rows = await sql<{ name: string; local: string | null }[]>`
    select t.name, case when n.nspname = current_schema() then c.relname end as local
    from unnest(${tables as string[]}::text[]) with ordinality as t(name, i)
    left join pg_class c on c.oid = to_regclass(t.name)
    left join pg_namespace n on n.oid = c.relnamespace
    order by t.i`;
  return rows.map((r) => r.name.includes(".") && r.local !== null ? r.local : r.name);
}

interface TableRun {
  readonly sql: Sql;
  readonly args: ExportArgs;
  readonly context: CommandContext & { readonly program: string };
  readonly now: Date;
}

/**
 * A day whose manifest parses, was read once the day was over, and whose files are intact is
 * not exported again by default: a daily run then costs only the new days. Late rows make
 * retention refuse the day; `retain` exports it again then. A day exported while in progress
 * (by an earlier version) is completed by exporting it again.
 */
async function alreadyExported(out: string, partition: Partition): Promise<boolean> {
  const folder = join(out, partition.table, partitionFolder(partition));
  const manifest = await readManifest(folder);
  if (manifest === null || partition.day === null) return false;
  const taken = new Date(manifest.snapshotAt ?? manifest.exportedAt);
  if (!(taken >= dayCompleteAt(partition.day))) return false;
  return (await verifyFiles(folder, manifest)).length === 0;
}

async function exportOne(run: TableRun, partition: Partition): Promise<void> {
  const { args, context } = run;
  const label = `${partition.table} ${partition.day ?? "(whole table)"}`;
  if (args.dryRun) {
    context.write(`${label}: would export`);
    return;
  }
  const started = performance.now();
  let m;
  try {
    m = await exportPartition(run.sql, partition, {
      out: args.out,
      program: context.program,
      signal: context.signal,
    });
  } catch (err) {
    if (!(err instanceof ExportWouldShrinkError)) throw err;
    context.log.warn("export_kept", {
      table: partition.table,
      day: partition.day,
      exported: err.exported,
      stored: err.stored,
    });
    context.write(`${label}: ${err.message}`);
    return;
  }
  if (m.rows === 0) return;
  const bytes = m.files.reduce((n, f) => n + f.bytes, 0);
  const durationMs = Math.round(performance.now() - started);
  context.log.info("export_partition", {
    table: partition.table,
    day: partition.day,
    rows: m.rows,
    bytes,
    durationMs,
  });
  context.write(`${label}: ${m.rows} rows, ${m.files.length} files, ${formatBytes(bytes)}`);
}

/**
 * Retention for one table. Days refused only because the database changed after their export
 * (late rows) are exported again and retention runs again for them, until none is left.
 */
async function retain(run: TableRun, table: string, retainDays: number): Promise<void> {
  const { args, context } = run;
  const refreshed = new Set<string>();
  let only: Set<string> | null = null;
  while (true) {
    const outcomes = await applyRetention(run.sql, table, {
      out: args.out,
      retainDays,
      now: run.now,
      dryRun: args.dryRun,
      timeColumn: args.timeColumn,
      signal: context.signal,
    });
    const stale = new Set<string>();
    for (const o of outcomes) {
      if (only !== null && !o.days.split("..").some((d) => only!.has(d))) continue;
      const fresh = (o.staleDays ?? []).filter((d) => !refreshed.has(d));
      if (!args.dryRun && fresh.length > 0) {
        for (const d of fresh) stale.add(d);
        continue;
      }
      context.log.info("retention", { ...o });
      const why = o.reason === undefined ? "" : `: ${o.reason}`;
      const from = o.stored === undefined || o.action === "skipped" ? "" : `, from ${o.stored}`;
      context.write(
        `${table} ${o.days}: ${o.action.replace("_", " ")} (${o.rows} rows${from})${why}`,
      );
    }
    if (stale.size === 0) return;
    for (const day of stale) {
      refreshed.add(day);
      await exportOne(run, dayPartition(table, args.timeColumn, day));
    }
    only = stale;
  }
}

/** Why a timed table gave no day to export: no rows at all, or none in the days asked for. */
async function emptyReason(sql: Sql, table: string, args: ExportArgs, now: Date): Promise<string> {
  const col = quoteRelation(args.timeColumn);
  const [row] = await sql.unsafe<{ first: Date | null }[]>(
    `select min(${col}) as first from ${quoteRelation(table)}`,
  );
  if (row?.first == null) return "no rows yet";
  const until = args.until ?? now.toISOString().slice(0, 10);
  const first = row.first.toISOString().slice(0, 10);
  if (first >= until) {
    return `its rows start on ${first}; a day is exported once it is over, from ${
      dayCompleteAt(first).toISOString()
    }`;
  }
  return `no day from ${args.since ?? first} to before ${until}`;
}

/** The UTC days to export: [--since or the oldest row's day, --until or today). */
async function exportDays(
  sql: Sql,
  table: string,
  args: ExportArgs,
  now: Date,
): Promise<string[]> {
  let since = args.since;
  if (since === undefined) {
    const col = quoteRelation(args.timeColumn);
    const [row] = await sql.unsafe<{ first: Date | null }[]>(
      `select min(${col}) as first from ${quoteRelation(table)}`,
    );
    if (row?.first == null) return [];
    since = row.first.toISOString().slice(0, 10);
  }
  const until = args.until ?? now.toISOString().slice(0, 10);
  const days: string[] = [];
  for (let t = Date.parse(`${since}T00:00:00Z`); t < Date.parse(`${until}T00:00:00Z`);) {
    days.push(new Date(t).toISOString().slice(0, 10));
    t += 86_400_000;
  }
  return days;
}
