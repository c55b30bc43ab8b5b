/**
 * `pmcollect book TOKEN [--at ISO-TIME] [--json]`: one token's full book rebuilt from the
 * recorded stream (stream/book_at.ts), at `--at` or the latest recorded state. With `--json`
 * it prints `{"bids": [[price, size], ...], "asks": [[price, size], ...]}`, decimal strings,
 * best first; a book that is not covered at that instant (no snapshot yet, a tick change, an
 * outage) prints `{"bids": [], "asks": [], "covered": false, "reason": ...}` and exits 1.
 * When the token's market has resolved by then, the answer says so, with when and which token
 * won (`"resolution": {"resolvedAt", "winnerTokenId", "winnerOutcome", "won"}` in JSON): a
 * resolved market has no book to show, and "ended" alone does not tell a user why.
 *
 * @example
 * ```sh
 * pmcollect book 7132104567925221259 --at 2026-11-30T12:00:00Z --json
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { BOOK_OPTIONS, UsageError } from "./command_line.ts";
import { parseInstant } from "./_instant.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import type { CommandContext } from "./migrate_command.ts";
import type { Config } from "../runtime/config.ts";
import type { Queryable } from "../db/client.ts";
import { bookAt, type BookAtResult } from "../stream/book_at.ts";

export interface BookArgs {
  readonly tokenId: string;
  readonly at: Date | undefined;
  readonly json: boolean;
}

/** Parses the arguments `parseCommandLine` handed on. @throws {UsageError} */
export function parseBookArgs(args: readonly string[]): BookArgs {
  const parsed = parseOwnOptions(args, { options: BOOK_OPTIONS, allowPositionals: true });
  const [tokenId] = parsed.positionals;
  if (tokenId === undefined || parsed.positionals.length !== 1) {
    throw new UsageError("book takes one argument: a token id");
  }
  const text = parsed.values.at;
  const at = text === undefined ? undefined : parseInstant("at", text);
  return { tokenId, at, json: parsed.values.json === true };
}

/** Prints the book; 0 when covered, 1 when not, 2 on bad usage. */
export async function runBookCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const args = parseOrReport("book", parseBookArgs, context.args);
  if (args === null) return 2;
  const db = await openConfiguredDatabase(config, { ...context, poolSize: 1 });
  try {
    const result = await bookAt(db.sql, args.tokenId, { at: args.at });
    const resolution = result.covered
      ? null
      : await resolutionOf(db.sql, args.tokenId, args.at ?? new Date());
    for (const line of formatBook(result, args.json, resolution)) context.write(line);
    return result.covered ? 0 : 1;
  } finally {
    await db.close();
  }
}

/** How the token's market resolved, when it had by the instant asked about. */
export interface TokenResolution {
  readonly resolvedAt: string;
  readonly winnerTokenId: string | null;
  readonly winnerOutcome: string | null;
  /** Whether this token is the winner (null when the resolution names none). */
  readonly won: boolean | null;
}

/** The resolution of the token's market at or before `at`, or null. */
export async function resolutionOf(
  sql: Queryable,
  tokenId: string,
  at: Date,
): Promise<TokenResolution | null> {
  const [row] = await sql<
    { resolvedAt: Date; winnerTokenId: string | null; winnerOutcome: string | null }[]
  >`
    select r.resolved_at as "resolvedAt", r.winner_token_id as "winnerTokenId",
           r.winner_outcome as "winnerOutcome"
    from tokens t join resolutions r on r.condition_id = t.condition_id
    where t.token_id = ${tokenId} and r.status = 'resolved' and r.resolved_at <= ${at}`;
  if (row === undefined) return null;
  return {
    resolvedAt: row.resolvedAt.toISOString(),
    winnerTokenId: row.winnerTokenId,
    winnerOutcome: row.winnerOutcome,
    won: row.winnerTokenId === null ? null : row.winnerTokenId === tokenId,
  };
}

/** The output lines of one result. */
export function formatBook(
  result: BookAtResult,
  json: boolean,
  resolution: TokenResolution | null = null,
): string[] {
  if (json) {
    return [
      JSON.stringify(
        result.covered
          ? { bids: result.book.bids, asks: result.book.asks }
          : resolution === null
          ? { bids: [], asks: [], covered: false, reason: result.reason }
          : { bids: [], asks: [], covered: false, reason: result.reason, resolution },
      ),
    ];
  }
  if (!result.covered && resolution !== null) {
    const winner = resolution.won === null
      ? "no winner recorded"
      : resolution.won
      ? `this token won (${resolution.winnerOutcome ?? "outcome unnamed"})`
      : `this token lost; ${
        resolution.winnerOutcome ?? "the other outcome"
      } won (token ${resolution.winnerTokenId})`;
    return [`not covered: the market resolved at ${resolution.resolvedAt}: ${winner}`];
  }
  if (!result.covered) return [`not covered: ${result.reason}`];
  const { bids, asks } = result.book;
  const lines = [`since ${result.since.toISOString()}`, "bid size       bid    | ask    ask size"];
  for (let i = 0; i < Math.max(bids.length, asks.length); i++) {
    const b = bids[i];
    const a = asks[i];
    lines.push(
      `${(b?.[1] ?? "").padStart(14)} ${(b?.[0] ?? "").padEnd(6)} | ${(a?.[0] ?? "").padEnd(6)} ${
        a?.[1] ?? ""
      }`,
    );
  }
  return lines;
}
