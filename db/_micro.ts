/**
 * The compact encoding of prices and sizes (migration 0007): a decimal is stored as its count
 * of millionths, int4 for prices and int8 for sizes and amounts. Only a value that gives back
 * exactly the same text is encoded that way; any other (more than 6 decimals, too large, or
 * not in canonical form) goes verbatim into the row's `exact` jsonb, so nothing is rounded.
 * The database side of the same rule is `pm_micro`/`pm_decimal` in the migration.
 *
 * @example
 * ```ts
 * import { MicroRow } from "./_micro.ts";
 * const enc = new MicroRow();
 * enc.price("price", "0.52"); // "520000"
 * enc.size("volume_24h", "25072.141289999992"); // null, kept in enc.exactJson()
 * ```
 */

/** Largest micro count of an int4 column (2147.483647). */
export const INT4_MAX = "2147483647";
/** Largest micro count of an int8 column. */
export const INT8_MAX = "9223372036854775807";

const CANONICAL = /^(0|[1-9]\d*)(?:\.(\d*[1-9]))?$/;

/**
 * The micro count of a canonical decimal as digits, or null when it has more than 6
 * decimals, is not canonical ("0.50", "00.5", "-1"), or exceeds `max`.
 */
export function microText(value: string, max: string): string | null {
  const m = CANONICAL.exec(value);
  if (m === null) return null;
  const frac = m[2] ?? "";
  if (frac.length > 6) return null;
  const int = m[1]!;
  const digits = int === "0"
    ? frac.padEnd(6, "0").replace(/^0+/, "") || "0"
    : int + frac.padEnd(6, "0");
  if (digits.length > max.length || (digits.length === max.length && digits > max)) return null;
  return digits;
}

/** The decimal text of a micro count: the inverse of `microText`. */
export function decimalOfMicro(micro: string): string {
  const digits = micro.padStart(7, "0");
  const int = digits.slice(0, -6).replace(/^0+(?=\d)/, "");
  const frac = digits.slice(-6).replace(/0+$/, "");
  return frac === "" ? int : `${int}.${frac}`;
}

/**
 * Encodes the decimals of one row at a time: each call returns the micro text (or null) and
 * remembers the values that must stay exact. Call `reset()` before each row.
 */
export class MicroRow {
  #exact: Record<string, unknown> | null = null;

  reset(): void {
    this.#exact = null;
  }

  /** A price column (int4). */
  price(column: string, value: string | null): string | null {
    return this.#fit(column, value, INT4_MAX);
  }

  /** A size or amount column (int8). */
  size(column: string, value: string | null): string | null {
    return this.#fit(column, value, INT8_MAX);
  }

  /** Keeps `value` (any JSON) verbatim under `column`. */
  keep(column: string, value: unknown): void {
    (this.#exact ??= {})[column] = value;
  }

  /** The `exact` jsonb text of the row, or null when every value fit. */
  exactJson(): string | null {
    return this.#exact === null ? null : JSON.stringify(this.#exact);
  }

  #fit(column: string, value: string | null, max: string): string | null {
    if (value === null) return null;
    const micro = microText(value, max);
    if (micro === null) this.keep(column, value);
    return micro;
  }
}
