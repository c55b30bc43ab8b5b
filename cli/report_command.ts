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
import { parseArgs } from "node:util";
import { openConfiguredDatabase } from "./_connect.ts";
import { REPORT_OPTIONS, UsageError } from "./command_line.ts";
import type { CommandContext } from "./migrate_command.ts";
import { listEpisodes } from "../db/episodes.ts";
import type { Config } from "../runtime/config.ts";
import { printText } from "../runtime/log.ts";
import { reportHtml, reportText, summarize } from "../scanner/report.ts";

export async function runReportCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const { log, signal, write } = context;
  let values;
  try {
    values = parseArgs({ args: [...context.args], options: REPORT_OPTIONS, strict: true }).values;
    if (values.day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(values.day)) {
      throw new UsageError("report needs --day YYYY-MM-DD");
    }
  } catch (err) {
    printText("stderr", `pmcollect report: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const since = new Date(`${values.day}T00:00:00Z`);
  if (Number.isNaN(since.getTime())) {
    printText("stderr", `pmcollect report: --day ${values.day} is not a date`);
    return 2;
  }
  const until = new Date(since.getTime() + 86_400_000);
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 1 });
  try {
    const rows = await listEpisodes(db.sql, {
      since,
      until,
      replayed: values.replayed === true,
    });
    const summary = summarize(rows);
    write(reportText(summary, values.day));
    if (values.html !== undefined) {
      await Deno.writeTextFile(values.html, reportHtml(summary, rows, values.day));
      write(`wrote ${values.html}`);
    }
    return 0;
  } finally {
    await db.close();
  }
}
