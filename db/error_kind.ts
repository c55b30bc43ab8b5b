/**
 * `classifyDbError`: what a failed statement means for the writer that sent it.
 *
 * - `"connection"`: the server is not there (refused, reset, closed, shutting down, class 08,
 *   57P0x, too many connections). Keep the rows (spill) and probe until it is back.
 * - `"data"`: the server (or the driver, before sending) refused these rows: SQLSTATE class 22
 *   (data exception: NUL byte, numeric overflow, bad input syntax), 23 (integrity), 42 (the
 *   statement does not fit the rows), 54 (a value past a limit, e.g. an index row too large),
 *   or a `RangeError`/`TypeError` raised while encoding a row. Retrying the same rows fails the
 *   same way: isolate them, reject them, write the rest.
 * - `"unknown"`: anything else (a timeout, a deadlock, an unexpected bug). Writers treat it as
 *   "down": the rows are kept and retried later.
 *
 * @example
 * ```ts
 * import { classifyDbError } from "./error_kind.ts";
 * classifyDbError(Object.assign(new Error("x"), { code: "22021" })); // "data"
 * classifyDbError(Object.assign(new Error("x"), { code: "ECONNREFUSED" })); // "connection"
 * ```
 */

/** See the module header. */
export type DbErrorKind = "connection" | "data" | "unknown";

const CONNECTION_CODES = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up
  "53300", // too_many_connections
]);

/** Class 22 data exception, 23 integrity, 42 syntax/access, 54 program limit exceeded. */
const DATA_CLASSES = new Set(["22", "23", "42", "54"]);

/** Classifies an error thrown by a query (postgres.js, PGlite or the row encoding). */
export function classifyDbError(err: unknown): DbErrorKind {
  if (!(err instanceof Error)) return "unknown";
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") {
    if (CONNECTION_CODES.has(code) || code.startsWith("ECONN") || code.startsWith("08")) {
      return "connection";
    }
    if (/^[0-9A-Z]{5}$/.test(code) && DATA_CLASSES.has(code.slice(0, 2))) return "data";
    return "unknown";
  }
  // Thrown while building the statement from a row (an invalid Date, a missing field).
  if (err instanceof RangeError || err instanceof TypeError) return "data";
  return "unknown";
}
