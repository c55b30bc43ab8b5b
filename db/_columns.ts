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

/**
 * One numeric column as an array literal, like {@link col} for numbers alone: the engine's own
 * `join` formats them, without a string per element in the program (the dataset's lookups send
 * ~76,000 instants a build this way).
 * @throws {RangeError} on a value that is not a finite number (it has no literal).
 */
export function numberCol<R>(rows: readonly R[], pick: (row: R) => number): string {
  const values = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = pick(rows[i]!);
    if (!Number.isFinite(v)) throw new RangeError(`Not a finite number for an array literal: ${v}`);
    values[i] = v;
  }
  return `{${values.join(",")}}`;
}

/**
 * Comma-separated numbers as numbers, an empty field as null and no text as no values (what
 * `string_agg(coalesce(x::text, ''), ',')` gives of integers or numeric text). Integers are read
 * digit by digit, without a string per field, where they stay exact (up to 2⁵³ − 1); any other
 * field through `Number` of its text.
 */
export function parseNumberList(text: string | null): (number | null)[] {
  if (text === null) return [];
  const out: (number | null)[] = [];
  const end = text.length;
  let start = 0;
  for (;;) {
    let at = start, value = 0, negative = false, plain = true;
    if (text.charCodeAt(at) === 45) { // "-"
      negative = true;
      at++;
    }
    const digits = at;
    for (; at < end; at++) {
      const c = text.charCodeAt(at);
      if (c === 44) break; // ","
      const d = c - 48;
      if (d < 0 || d > 9) plain = false;
      else value = value * 10 + d;
    }
    if (at === start) out.push(null);
    else if (plain && at > digits && value <= Number.MAX_SAFE_INTEGER) {
      out.push(negative ? -value : value);
    } else {
      const field = Number(text.slice(start, at));
      if (Number.isNaN(field)) {
        throw new RangeError(`Not a number in a list: "${text.slice(start, at)}"`);
      }
      out.push(field);
    }
    if (at >= end) return out;
    start = at + 1;
  }
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
