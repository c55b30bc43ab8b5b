/**
 * `pmcollect book TOKEN [--at ISO-TIME] [--json]`: one token's full book rebuilt from the
 * recorded stream (stream/book_at.ts), at `--at` or the latest recorded state. With `--json`
 * it prints `{"bids": [[price, size], ...], "asks": [[price, size], ...]}`, decimal strings,
 * best first; a book that is not covered at that instant (no snapshot yet, a tick change, an
 * outage) prints `{"bids": [], "asks": [], "covered": false, "reason": ...}` and exits 1.
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
    for (const line of formatBook(result, args.json)) context.write(line);
    return result.covered ? 0 : 1;
  } finally {
    await db.close();
  }
}

/** The output lines of one result. */
export function formatBook(result: BookAtResult, json: boolean): string[] {
  if (json) {
    return [
      JSON.stringify(
        result.covered
          ? { bids: result.book.bids, asks: result.book.asks }
          : { bids: [], asks: [], covered: false, reason: result.reason },
      ),
    ];
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
