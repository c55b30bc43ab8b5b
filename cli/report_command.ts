/**
 * `pmcollect report --day YYYY-MM-DD [--html FILE] [--replayed] [--schema NAME]`: the day's
 * episodes per channel (count, median duration, capacity and profit after fees, survival), as
 * a text table, then the day's trades per channel (`_report_trades.ts`: seen, acted on, filled
 * whole, filled short, unwound; P&L against the planned edge; capital used) from the live
 * ledger, or from a paper run's schema with `--schema`; with `--html`, also a page with plots
 * (the P&L curve and the slippage among them) written to FILE. Live episodes by default,
 * replayed ones with `--replayed`.
 *
 * @example
 * ```sh
 * pmcollect report --day 2026-11-30 --html report.html
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { REPORT_OPTIONS, UsageError } from "./command_line.ts";
import { parseDay } from "./_instant.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import { listEpisodes } from "../db/episodes.ts";
import type { Config } from "../runtime/config.ts";
import { reportHtml, reportText, summarize } from "../scanner/report.ts";
import { listTradeDay, tradeDayHtml, tradeDayText } from "./_report_trades.ts";

/** Parsed `report` options. */
export interface ReportArgs {
  /** `--day` as written, YYYY-MM-DD. */
  readonly day: string;
  /** UTC midnight starting the day. */
  readonly since: Date;
  readonly html: string | undefined;
  readonly replayed: boolean;
  /** A paper run's schema to read the trades from; null: the live ledger. */
  readonly schema: string | null;
}

/** @throws {UsageError} for a missing or impossible `--day` (2026-02-30) or a bad option. */
export function parseReportArgs(args: readonly string[]): ReportArgs {
  const { values } = parseOwnOptions(args, { options: REPORT_OPTIONS });
  const since = parseDay("day", values.day);
  const schema = values.schema ?? null;
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new UsageError(`--schema must be a schema name such as paper_…, got "${schema}"`);
  }
  return {
    day: values.day!,
    since,
    html: values.html,
    replayed: values.replayed === true,
    schema,
  };
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
    const trades = await listTradeDay(db.sql, { since: args.since, until, schema: args.schema });
    for (const line of tradeDayText(trades)) write(line);
    if (args.html !== undefined) {
      const page = reportHtml(summary, rows, args.day).replace(
        "</body>",
        `${tradeDayHtml(trades, { since: args.since })}</body>`,
      );
      await Deno.writeTextFile(args.html, page);
      write(`wrote ${args.html}`);
    }
    return 0;
  } finally {
    await db.close();
  }
}
