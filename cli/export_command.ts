/**
 * `pmcollect export`: writes tables as ZSTD Parquet partitioned by table and UTC day
 * (`<out>/<table>/date=YYYY-MM-DD/part-NNNNN.parquet` + `_manifest.json`), skipping days whose
 * export still verifies unless `--force`, then, with `--retain-days N`, drops from the database
 * the days older than N days whose export verifies. `--dry-run` changes nothing and says what
 * would happen. Layout, types and syncing to object storage: docs/export.md.
 *
 * @example
 * ```sh
 * pmcollect export --out /srv/parquet --since 2026-11-01
 * pmcollect export --out /srv/parquet --tables trades,quotes --retain-days 30 --dry-run
 * ```
 */
import { parseArgs } from "node:util";
import { openConfiguredDatabase } from "./_connect.ts";
import { EXPORT_OPTIONS, UsageError } from "./command_line.ts";
import type { CommandContext } from "./migrate_command.ts";
import { formatBytes } from "./status_command.ts";
import type { Sql } from "../db/client.ts";
import type { Config } from "../runtime/config.ts";
import { printText } from "../runtime/log.ts";
import { readColumns } from "../export/columns.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition, type Partition, quoteRelation } from "../export/partition.ts";
import { applyRetention } from "../export/retention.ts";
import { verifyDay } from "../export/verify_day.ts";

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
  let v;
  try {
    v = parseArgs({ args: [...args], strict: true, options: EXPORT_OPTIONS }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
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
  if (retain !== undefined && !/^[1-9]\d*$/.test(retain)) {
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

/** Runs the command; returns the exit code (2 for bad options, 1 when a table failed). */
export async function runExportCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[]; readonly program: string },
): Promise<number> {
  const { log, signal, write } = context;
  let args: ExportArgs;
  try {
    args = parseExportArgs(context.args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    printText("stderr", `pmcollect export: ${err.message}`);
    return 2;
  }
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 2 });
  try {
    const now = new Date();
    for (const table of args.tables) {
      const columns = await readColumns(db.sql, table);
      const timed = columns.some((c) => c.name === args.timeColumn);
      const partitions: Partition[] = timed
        ? (await exportDays(db.sql, table, args, now)).map((d) =>
          dayPartition(table, args.timeColumn, d)
        )
        : [{ table, timeColumn: null, day: null }];
      for (const partition of partitions) {
        if (signal.aborted) throw signal.reason;
        const label = `${table} ${partition.day ?? "(whole table)"}`;
        if (!args.force && partition.day !== null) {
          const verdict = await db.sql.begin((tx) => verifyDay(tx, partition, args.out));
          if (verdict.ok) {
            if (verdict.rows > 0) write(`${label}: up to date (${verdict.rows} rows)`);
            continue;
          }
        }
        if (args.dryRun) {
          write(`${label}: would export`);
          continue;
        }
        const started = performance.now();
        const m = await exportPartition(db.sql, partition, {
          out: args.out,
          program: context.program,
          signal,
        });
        if (m.rows === 0) continue;
        const bytes = m.files.reduce((n, f) => n + f.bytes, 0);
        const durationMs = Math.round(performance.now() - started);
        log.info("export_partition", {
          table,
          day: partition.day,
          rows: m.rows,
          bytes,
          durationMs,
        });
        write(`${label}: ${m.rows} rows, ${m.files.length} files, ${formatBytes(bytes)}`);
      }
      if (args.retainDays !== undefined && timed) {
        const outcomes = await applyRetention(db.sql, table, {
          out: args.out,
          retainDays: args.retainDays,
          now,
          dryRun: args.dryRun,
          timeColumn: args.timeColumn,
          signal,
        });
        for (const o of outcomes) {
          log.info("retention", { ...o });
          const why = o.reason === undefined ? "" : `: ${o.reason}`;
          write(`${table} ${o.days}: ${o.action.replace("_", " ")} (${o.rows} rows)${why}`);
        }
      }
    }
    return 0;
  } finally {
    await db.close(5);
  }
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
