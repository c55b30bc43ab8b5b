/**
 * What is wrong with a `DATABASE_URL`, said without repeating it: the URL carries the password,
 * so no message here ever contains any part of the value. postgres.js parses the URL with the
 * WHATWG parser (after taking the host list out) and decodes user and password with
 * `decodeURIComponent`, so anything either rejects is refused here, before a connection.
 *
 * @example
 * ```ts
 * import { databaseUrlProblem } from "./_database_url.ts";
 * databaseUrlProblem("postgres://app:s3cret@db:5432/polymarket"); // null
 * databaseUrlProblem("postgres://"); // "names no host"
 * ```
 */

const ENCODE_HINT = "percent-encode special characters in the user name and password " +
  "(# as %23, / as %2F, ? as %3F, @ as %40, % as %25, [ as %5B)";

/** A short reason the URL cannot be used, or null when it is fine. Never echoes the value. */
export function databaseUrlProblem(text: string): string | null {
  if (!/^postgres(ql)?:\/\//.test(text)) return "expected a postgres:// or postgresql:// URL";
  // A '#' starts the fragment: whatever follows it (the rest of a password) is lost.
  if (text.includes("#")) return `contains a '#'; ${ENCODE_HINT}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `is not a valid URL; ${ENCODE_HINT}, and give the port as a number`;
  }
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return `has a '%' not followed by two hex digits in the user name or password; ${ENCODE_HINT}`;
  }
  const socketHost = url.searchParams.get("host");
  if (url.hostname === "" && (socketHost === null || socketHost === "")) {
    return "names no host (expected postgres://user:password@host:5432/database)";
  }
  if (url.pathname === "" || url.pathname === "/") {
    return "names no database (expected postgres://user:password@host:5432/database)";
  }
  return null;
}
