/**
 * `pmcollect replay [--tokens ID,ID | --event ID] [--since ISO] [--until ISO] [--pace N]
 * [--parquet DIR]`: the recorded book events (stream/replay.ts) as NDJSON on stdout, one
 * `BookEvent` a line, in arrival order, optionally paced at N× real time; from the database, or
 * with `--parquet` from a `pmcollect export` folder (stream/replay_parquet.ts, no database).
 *
 * @example
 * ```sh
 * pmcollect replay --event 903193 --since 2026-11-30T12:00:00Z --until 2026-11-30T13:00:00Z
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { REPLAY_OPTIONS, UsageError } from "./command_line.ts";
import { parseInstant, requireOrder } from "./_instant.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Queryable } from "../db/client.ts";
import type { Config } from "../runtime/config.ts";
import { printText } from "../runtime/log.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { ParquetReplayError, replayBookEventsFromParquet } from "../stream/replay_parquet.ts";

export interface ReplayArgs {
  readonly tokenIds: readonly string[] | undefined;
  readonly eventId: string | undefined;
  readonly since: Date | undefined;
  readonly until: Date | undefined;
  readonly pace: number | undefined;
  /** An export folder to replay instead of the database. */
  readonly parquet: string | undefined;
}

/** Parses the options `parseCommandLine` handed on. @throws {UsageError} */
export function parseReplayArgs(args: readonly string[]): ReplayArgs {
  const { values } = parseOwnOptions(args, { options: REPLAY_OPTIONS });
  const time = (name: string, text: string | undefined) =>
    text === undefined ? undefined : parseInstant(name, text);
  const since = time("since", values.since);
  const until = time("until", values.until);
  requireOrder(since, until);
  const pace = values.pace === undefined ? undefined : Number(values.pace);
  if (pace !== undefined && !(pace > 0)) throw new UsageError("--pace must be a number > 0");
  if (values.tokens !== undefined && values.event !== undefined) {
    throw new UsageError("--tokens and --event cannot be combined");
  }
  if (values.parquet !== undefined && values.event !== undefined) {
    throw new UsageError("--event needs the database: with --parquet, name the --tokens");
  }
  return {
    tokenIds: values.tokens?.split(",").map((t) => t.trim()).filter((t) => t !== ""),
    eventId: values.event,
    since,
    until,
    pace,
    parquet: values.parquet,
  };
}

/** Streams the events; 0, 1 when the Parquet folder cannot be replayed, 2 on bad usage. */
export async function runReplayCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const args = parseOrReport("replay", parseReplayArgs, context.args);
  if (args === null) return 2;
  if (args.parquet !== undefined) {
    const options = { tokenIds: args.tokenIds, from: args.since, to: args.until, pace: args.pace };
    try {
      for await (
        const event of replayBookEventsFromParquet(args.parquet, {
          ...options,
          signal: context.signal,
        })
      ) context.write(JSON.stringify(event));
    } catch (err) {
      if (!(err instanceof ParquetReplayError)) throw err;
      printText("stderr", `pmcollect replay: ${err.message}`);
      return 1;
    }
    return 0;
  }
  const db = await openConfiguredDatabase(config, { ...context, poolSize: 1 });
  try {
    const tokenIds = await replayedTokens(db.sql, args);
    if (typeof tokenIds === "string") {
      printText("stderr", `pmcollect replay: ${tokenIds}`);
      return 2;
    }
    for await (
      const event of replayBookEvents(db.sql, {
        tokenIds,
        from: args.since,
        to: args.until,
        pace: args.pace,
        signal: context.signal,
      })
    ) context.write(JSON.stringify(event));
    return 0;
  } finally {
    await db.close();
  }
}

/**
 * The tokens to replay: `--tokens` when the database knows every one of them (in the catalog
 * or the recorded stream), the tokens of `--event`, or every token (undefined); else what is
 * wrong, as one line (a token nobody knows would otherwise replay nothing, silently).
 */
export async function replayedTokens(
  sql: Queryable,
  args: Pick<ReplayArgs, "tokenIds" | "eventId">,
): Promise<readonly string[] | undefined | string> {
  if (args.eventId !== undefined) {
    const rows = await sql<{ id: string }[]>`
      select t.token_id as id from tokens t join markets m using (market_id)
      where m.event_id = ${args.eventId}`;
    if (rows.length === 0) return `--event ${args.eventId}: no market of this event in the catalog`;
    return rows.map((r) => r.id);
  }
  if (args.tokenIds === undefined) return undefined;
  const known = await sql<{ id: string }[]>`
    select token_id as id from tokens where token_id = any(${args.tokenIds as string[]})
    union select token_id from token_keys where token_id = any(${args.tokenIds as string[]})`;
  const seen = new Set(known.map((r) => r.id));
  const unknown = args.tokenIds.filter((id) => !seen.has(id));
  if (unknown.length === 0) return args.tokenIds;
  return `unknown token${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} ` +
    "(neither in the catalog nor in the recorded stream)";
}
