/**
 * `pmcollect backtest [--from-file F] [--since ISO] [--until ISO] [--events ID,ID]`: runs the
 * live scanner over a recorded stream of book events and writes the episodes it finds to
 * `episodes`, marked as replayed (a re-run over the same interval rewrites the same rows).
 * Relations, fees and ticks come from the database as the live task reads them; `--events`
 * keeps the relations with a member in those events. The source is the recorded stream in the
 * database (`book_events`, read by `stream/replay.ts` for the relations' tokens, from the start
 * of the record so that every book is built before `--since`), or with `--from-file` an NDJSON
 * capture (`PMCOLLECT_SCANNER_CAPTURE`).
 *
 * @example
 * ```sh
 * pmcollect backtest --since 2026-11-30T00:00:00Z --until 2026-12-01T00:00:00Z --events 903193
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { BACKTEST_OPTIONS, UsageError } from "./command_line.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import { parseInstant, requireOrder } from "./_instant.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Queryable } from "../db/client.ts";
import { upsertEpisodes } from "../db/episodes.ts";
import type { Config } from "../runtime/config.ts";
import { loadScanRelations } from "../scanner/_load.ts";
import { runBacktest } from "../scanner/backtest.ts";
import { episodeRow } from "../scanner/episode.ts";
import type { RelationSet } from "../scanner/relation_set.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { readBookEvents } from "../stream/capture.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { reportText, summarize } from "../scanner/report.ts";

export interface BacktestArgs {
  /** An NDJSON capture; null = the recorded stream in the database. */
  readonly fromFile: string | null;
  readonly since: Date | null;
  readonly until: Date | null;
  readonly events: readonly string[] | null;
}

/** @throws {UsageError} */
export function parseBacktestArgs(args: readonly string[]): BacktestArgs {
  const { values } = parseOwnOptions(args, { options: BACKTEST_OPTIONS });
  const instant = (name: string, text: string | undefined) =>
    text === undefined ? null : parseInstant(name, text);
  const fromFile = values["from-file"] ?? null;
  if (fromFile === null && (values.since === undefined || values.until === undefined)) {
    throw new UsageError("backtest over the recorded stream needs --since and --until");
  }
  const since = instant("since", values.since);
  const until = instant("until", values.until);
  requireOrder(since, until);
  return {
    fromFile,
    since,
    until,
    events: values.events === undefined ? null : values.events.split(",").map((s) => s.trim()),
  };
}

/**
 * The events the backtest reads: the capture with `--from-file`, else the recorded stream of
 * the relations' tokens from the start of the record (so every book is built before `since`)
 * up to `until`.
 */
export function backtestSource(
  sql: Queryable,
  set: RelationSet,
  args: Pick<BacktestArgs, "fromFile" | "until">,
  options: { readonly signal?: AbortSignal; readonly rejected?: { count: number } } = {},
): AsyncIterable<BookEvent> {
  if (args.fromFile !== null) return readBookEvents(args.fromFile, options);
  const tokenIds = set.tokens();
  if (tokenIds.length === 0) return (async function* () {})();
  return replayBookEvents(sql, {
    tokenIds,
    ...(args.until === null ? {} : { to: args.until }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
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
    if (args.events !== null) set = set.ofEvents(args.events);
    const rejected = { count: 0 };
    const started = performance.now();
    const source = backtestSource(db.sql, set, args, { signal, rejected });
    const result = await runBacktest(source, set, {
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
      source: args.fromFile === null ? "book_events" : "file",
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
