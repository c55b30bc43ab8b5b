/**
 * The compact encoding of prices and sizes (migration 0008): a decimal is stored as its count
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

const ZEROS = ["000000", "00000", "0000", "000", "00", "0", ""];

/**
 * The micro count of a canonical decimal as digits, or null when it has more than 6
 * decimals, is not canonical ("0.50", "00.5", "-1"), or exceeds `max`.
 */
export function microText(value: string, max: string): string | null {
  // A hand-written scan: this runs for every price and size the writers store.
  const n = value.length;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 46) {
      if (dot >= 0) return null;
      dot = i;
    } else if (c < 48 || c > 57) return null;
  }
  const intLength = dot < 0 ? n : dot;
  if (intLength === 0 || (intLength > 1 && value.charCodeAt(0) === 48)) return null;
  let digits: string;
  if (dot < 0) {
    digits = value === "0" ? "0" : value + "000000";
  } else {
    const fracLength = n - dot - 1;
    if (fracLength === 0 || fracLength > 6 || value.charCodeAt(n - 1) === 48) return null;
    const frac = value.slice(dot + 1) + ZEROS[fracLength];
    if (intLength === 1 && value.charCodeAt(0) === 48) {
      let z = 0;
      while (frac.charCodeAt(z) === 48) z++;
      digits = frac.slice(z);
    } else {
      digits = value.slice(0, dot) + frac;
    }
  }
  if (digits.length > max.length || (digits.length === max.length && digits > max)) return null;
  return digits;
}

const POW10 = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];

/**
 * `microText` as a number, without allocating: the micro count of a canonical decimal when it
 * is at most `max` and a safe integer; null when it does not fit, and undefined when it may fit
 * but needs more than 2^53 (ask `microText`).
 */
export function microNumber(value: string, max: number): number | null | undefined {
  const n = value.length;
  if (n === 0) return null;
  const first = value.charCodeAt(0);
  let acc = 0;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 46) {
      if (dot >= 0) return null;
      dot = i;
    } else if (c >= 48 && c <= 57) acc = acc * 10 + (c - 48);
    else return null;
  }
  const intLength = dot < 0 ? n : dot;
  if (intLength === 0 || (intLength > 1 && first === 48)) return null;
  const fracLength = dot < 0 ? 0 : n - dot - 1;
  if (dot >= 0 && (fracLength === 0 || value.charCodeAt(n - 1) === 48)) return null;
  if (fracLength > 6) return null;
  if (n - (dot < 0 ? 0 : 1) + (6 - fracLength) > 15) return undefined;
  const micro = acc * POW10[fracLength]!;
  return micro <= max ? micro : null;
}

/**
 * An amount with 7-18 decimals (Gamma's float noise: "25072.141289999992") as an integer count
 * of 10^-scale and that scale, when the count fits int8; null otherwise (or when `microText`
 * applies). The database side is `pm_scaled`/`pm_unscaled` in migration 0008.
 */
export function scaledAmount(value: string): [count: string, scale: number] | null {
  const dot = value.indexOf(".");
  if (dot < 1) return null;
  const scale = value.length - dot - 1;
  if (scale < 7 || scale > 18 || value.endsWith("0")) return null;
  const int = value.slice(0, dot);
  const frac = value.slice(dot + 1);
  if (!/^(0|[1-9]\d*)$/.test(int) || !/^\d+$/.test(frac)) return null;
  const count = (int + frac).replace(/^0+(?=\d)/, "");
  if (count.length > INT8_MAX.length || (count.length === INT8_MAX.length && count > INT8_MAX)) {
    return null;
  }
  return [count, scale];
}

/** The decimal text of a micro count: the inverse of `microText`. */
export function decimalOfMicro(micro: string): string {
  const digits = micro.padStart(7, "0");
  const int = digits.slice(0, -6).replace(/^0+(?=\d)/, "");
  const frac = digits.slice(-6).replace(/0+$/, "");
  return frac === "" ? int : `${int}.${frac}`;
}

/** ".01" … ".99" without trailing zeros, by hundredths. */
const HUNDREDTHS = Array.from(
  { length: 100 },
  (_, k) => k === 0 ? "" : "." + (k < 10 ? "0" + k : k % 10 === 0 ? String(k / 10) : String(k)),
);

/**
 * `decimalOfMicro` of a safe integer, without regular expressions or padStart: the replays
 * format every price and size they read with it.
 */
export function decimalOfMicroNumber(micro: number): string {
  const int = Math.floor(micro / 1_000_000);
  let frac = micro - int * 1_000_000;
  if (frac === 0) return "" + int;
  // Whole hundredths (the stream stores sizes in them): two digits from a table.
  if (frac % 10_000 === 0) return int + HUNDREDTHS[frac / 10_000]!;
  let digits = 6;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  const text = "" + frac;
  return int + "." + (text.length === digits ? text : "000000".slice(text.length - digits) + text);
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
