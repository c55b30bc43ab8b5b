/**
 * `pmcollect report --day YYYY-MM-DD [--html FILE] [--replayed]`: the day's episodes per
 * channel (count, median duration, capacity and profit after fees, survival), as a text
 * table; with `--html`, also a page with plots written to FILE. Live episodes by default,
 * replayed ones with `--replayed`.
 *
 * @example
 * ```sh
 * pmcollect report --day 2026-11-30 --html report.html
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { REPORT_OPTIONS } from "./command_line.ts";
import { parseDay } from "./_instant.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import { listEpisodes } from "../db/episodes.ts";
import type { Config } from "../runtime/config.ts";
import { reportHtml, reportText, summarize } from "../scanner/report.ts";

/** Parsed `report` options. */
export interface ReportArgs {
  /** `--day` as written, YYYY-MM-DD. */
  readonly day: string;
  /** UTC midnight starting the day. */
  readonly since: Date;
  readonly html: string | undefined;
  readonly replayed: boolean;
}

/** @throws {UsageError} for a missing or impossible `--day` (2026-02-30) or a bad option. */
export function parseReportArgs(args: readonly string[]): ReportArgs {
  const { values } = parseOwnOptions(args, { options: REPORT_OPTIONS });
  const since = parseDay("day", values.day);
  return { day: values.day!, since, html: values.html, replayed: values.replayed === true };
}

export async function runReportCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const { log, signal, write } = context;
  const args = parseOrReport("report", parseReportArgs, context.args);
  if (args === null) return 2;
  const until = new Date(args.since.getTime() + 86_400_000);
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 1 });
  try {
    const rows = await listEpisodes(db.sql, {
      since: args.since,
      until,
      replayed: args.replayed,
    });
    const summary = summarize(rows);
    write(reportText(summary, args.day));
    if (args.html !== undefined) {
      await Deno.writeTextFile(args.html, reportHtml(summary, rows, args.day));
      write(`wrote ${args.html}`);
    }
    return 0;
  } finally {
    await db.close();
  }
}
