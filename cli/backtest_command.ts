/**
 * `pmcollect backtest --from-file F [--since ISO] [--until ISO] [--events ID,ID]`: runs the
 * live scanner over a recorded stream of book events and writes the episodes it finds to
 * `episodes`, marked as replayed (a re-run over the same interval rewrites the same rows).
 * Relations, fees and ticks come from the database as the live task reads them; `--events`
 * keeps the relations with a member in those events. The source today is an NDJSON capture
 * (`PMCOLLECT_SCANNER_CAPTURE`); the recorded stream in the database plugs into the same
 * `runBacktest` when it exists.
 *
 * @example
 * ```sh
 * pmcollect backtest --from-file data/capture.ndjson --since 2026-11-30T00:00:00Z --until 2026-12-01T00:00:00Z
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { BACKTEST_OPTIONS, UsageError } from "./command_line.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import { upsertEpisodes } from "../db/episodes.ts";
import type { Config } from "../runtime/config.ts";
import { loadScanRelations } from "../scanner/_load.ts";
import { runBacktest } from "../scanner/backtest.ts";
import { episodeRow } from "../scanner/episode.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { readBookEvents } from "../stream/capture.ts";
import { reportText, summarize } from "../scanner/report.ts";

export interface BacktestArgs {
  readonly fromFile: string;
  readonly since: Date | null;
  readonly until: Date | null;
  readonly events: readonly string[] | null;
}

/** @throws {UsageError} */
export function parseBacktestArgs(args: readonly string[]): BacktestArgs {
  const { values } = parseOwnOptions(args, { options: BACKTEST_OPTIONS });
  const instant = (name: string, text: string | undefined) => {
    if (text === undefined) return null;
    const at = new Date(Date.parse(text));
    if (Number.isNaN(at.getTime())) throw new UsageError(`--${name} must be an ISO time`);
    return at;
  };
  if (values["from-file"] === undefined) {
    throw new UsageError(
      "backtest needs --from-file (an NDJSON capture); the recorded stream is not stored yet",
    );
  }
  return {
    fromFile: values["from-file"],
    since: instant("since", values.since),
    until: instant("until", values.until),
    events: values.events === undefined ? null : values.events.split(",").map((s) => s.trim()),
  };
}

export async function runBacktestCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const { log, signal, write } = context;
  const args = parseOrReport("backtest", parseBacktestArgs, context.args);
  if (args === null) return 2;
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 1 });
  try {
    let set = await loadScanRelations(db.sql, { convertFeeBips: config.scanner.convertFeeBips });
    if (args.events !== null) {
      const events = new Set(args.events);
      set = new RelationSet(
        set.relations.filter((r) => r.markets.some((m) => events.has(m.eventId ?? ""))),
      );
    }
    const rejected = { count: 0 };
    const started = performance.now();
    const result = await runBacktest(readBookEvents(args.fromFile, { signal, rejected }), set, {
      maxBookAgeMs: config.scanner.maxBookAgeMs,
      maxSkewMs: config.scanner.maxSkewMs,
      ...(args.since === null ? {} : { since: args.since.getTime() }),
      ...(args.until === null ? {} : { until: args.until.getTime() }),
      signal,
    });
    const rows = result.episodes.map(episodeRow);
    for (let i = 0; i < rows.length; i += 500) {
      await upsertEpisodes(db.sql, rows.slice(i, i + 500));
    }
    log.info("backtest_done", {
      relations: set.relations.length,
      events: result.events,
      rejectedLines: rejected.count,
      episodes: rows.length,
      durationMs: Math.round(performance.now() - started),
    });
    write(reportText(summarize(rows), "the replayed interval"));
    return 0;
  } finally {
    await db.close();
  }
}
