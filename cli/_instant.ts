/**
 * The instants and days the analysis commands take on the command line (`--since`, `--until`,
 * `--at`, `--day`), checked strictly: ISO 8601 only (Date.parse alone reads "1" as 2001-01-01)
 * and a real calendar date (Date.parse reads 2026-02-30 as 2 March). A bad one is a UsageError
 * that names the option and repeats the text.
 *
 * @example
 * ```ts
 * import { parseDay, parseInstant, requireOrder } from "./_instant.ts";
 * const since = parseInstant("since", "2026-11-30T12:00:00Z");
 * const until = parseInstant("until", "2026-11-30");
 * requireOrder(since, until); // throws: --since must be before --until
 * parseDay("day", "2026-02-30"); // throws: --day 2026-02-30 is not a calendar date
 * ```
 */
import { UsageError } from "./command_line.ts";

/** YYYY-MM-DD, optionally with a time and a zone (as cli/backfill_command.ts accepts). */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** `--<name> TEXT` as an instant. @throws {UsageError} */
export function parseInstant(name: string, text: string): Date {
  const match = ISO_INSTANT.exec(text);
  const ms = match === null ? NaN : Date.parse(text.replace(" ", "T"));
  if (match === null || Number.isNaN(ms)) {
    throw new UsageError(
      `--${name} must be an ISO time (2026-11-30 or 2026-11-30T12:00:00Z), got "${text}"`,
    );
  }
  const [, y, m, d, hh = "0", mm = "0", ss = "0"] = match;
  if (!isCalendarDate(y!, m!, d!) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) {
    throw new UsageError(`--${name} ${text} is not a real date and time`);
  }
  return new Date(ms);
}

/** `--<name> YYYY-MM-DD` as the UTC midnight that starts that day. @throws {UsageError} */
export function parseDay(name: string, text: string | undefined): Date {
  const match = text === undefined ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) throw new UsageError(`needs --${name} YYYY-MM-DD`);
  if (!isCalendarDate(match[1]!, match[2]!, match[3]!)) {
    throw new UsageError(`--${name} ${text} is not a calendar date`);
  }
  return new Date(`${text}T00:00:00Z`);
}

/** @throws {UsageError} when both are given and `since` is not before `until`. */
export function requireOrder(since: Date | null | undefined, until: Date | null | undefined) {
  if (since == null || until == null || since < until) return;
  throw new UsageError(
    `--since (${since.toISOString()}) must be before --until (${until.toISOString()})`,
  );
}

function isCalendarDate(y: string, m: string, d: string): boolean {
  const at = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return at.getUTCFullYear() === Number(y) && at.getUTCMonth() === Number(m) - 1 &&
    at.getUTCDate() === Number(d);
}
