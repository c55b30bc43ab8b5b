/**
 * Column helpers for bulk writes: every batch is sent as one PostgreSQL array literal per
 * column (a single text parameter) and expanded with `unnest(...)`. Writing the literal here
 * keeps NULLs as NULL and booleans as booleans, which postgres.js's own array encoding does
 * not, and is cheaper than its per-element serialisation.
 */

export type Scalar = string | number | boolean | null;

/** One column of a batch as the text of a PostgreSQL array literal, for `$1::type[]`. */
export function col<R>(rows: readonly R[], pick: (row: R) => Scalar): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) parts[i] = element(pick(rows[i]!));
  return `{${parts.join(",")}}`;
}

/** The array literal of plain values. */
export function arrayLiteral(values: readonly Scalar[]): string {
  return col(values, (v) => v);
}

const NEEDS_ESCAPE = /["\\]/g;

function element(value: Scalar): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "t" : "f";
  if (typeof value === "number") return String(value);
  return `"${value.replace(NEEDS_ESCAPE, "\\$&")}"`;
}

/** A Date as ISO text (or null) for timestamptz arrays. */
export function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

/**
 * Keeps the last row for each key, in first-seen order. An upsert statement may not touch
 * the same row twice, and a page can list an item twice when the universe shifts under it.
 */
export function lastByKey<R>(rows: readonly R[], key: (row: R) => string): R[] {
  const map = new Map<string, R>();
  for (const row of rows) map.set(key(row), row);
  return map.size === rows.length ? (rows as R[]) : [...map.values()];
}
