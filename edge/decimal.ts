/**
 * Exact decimals for the edge engine: a bigint count of 1e-8 units. Eight places hold every
 * number the venue uses (prices ≤ 4 dp, sizes 2 dp, fees 5 dp, collateral 6 dp) and every
 * product the engine forms from them (price × size ≤ 6 dp), so no float ever prices a plan.
 *
 * @example
 * ```ts
 * import { formatDec, mulDec, parseDec } from "./decimal.ts";
 * formatDec(mulDec(parseDec("0.52"), parseDec("22.84"))); // "11.8768"
 * ```
 */

/** A decimal as a bigint count of 1e-8 (see SCALE). */
export type Dec = bigint;

/** Number of decimal places carried. */
export const PLACES = 8;
/** 10^PLACES: the Dec of 1. */
export const SCALE: Dec = 100_000_000n;
export const ZERO: Dec = 0n;
export const ONE: Dec = SCALE;

const DECIMAL = /^(-?)(\d*)(?:\.(\d*))?$/;

/**
 * Parses "0.52", ".48", "1", "-3.5" exactly.
 * @throws {RangeError} for anything else, or for more than 8 decimal places that are not zeros.
 */
export function parseDec(text: string): Dec {
  const match = DECIMAL.exec(text.trim());
  if (match === null || (match[2] === "" && (match[3] ?? "") === "")) {
    throw new RangeError(`Not a decimal: "${text}"`);
  }
  const [, sign, whole = "", fraction = ""] = match;
  const trimmed = fraction.replace(/0+$/, "");
  if (trimmed.length > PLACES) {
    throw new RangeError(`More than ${PLACES} decimal places: "${text}"`);
  }
  const value = BigInt(whole === "" ? "0" : whole) * SCALE +
    BigInt(trimmed.padEnd(PLACES, "0") || "0");
  return sign === "-" ? -value : value;
}

/** "11.8768", "0", "-0.5": no trailing zeros, no exponent. */
export function formatDec(value: Dec): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / SCALE;
  const fraction = (abs % SCALE).toString().padStart(PLACES, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}

/** a × b, floored to 1e-8 (exact whenever the true product has ≤ 8 places). */
export function mulDec(a: Dec, b: Dec): Dec {
  return floorDiv(a * b, SCALE);
}

/** a ÷ b floored to 1e-8. @throws {RangeError} when b is 0. */
export function divDec(a: Dec, b: Dec): Dec {
  if (b === 0n) throw new RangeError("Division by zero");
  return floorDiv(a * SCALE, b);
}

/** Floor of n ÷ d for bigints of any sign (d > 0). */
export function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && (n < 0n) !== (d < 0n) ? q - 1n : q;
}

/** Ceiling of n ÷ d for d > 0. */
export function ceilDiv(n: bigint, d: bigint): bigint {
  return -floorDiv(-n, d);
}

/** The largest multiple of `unit` that is ≤ value (unit > 0). */
export function floorTo(value: Dec, unit: Dec): Dec {
  return floorDiv(value, unit) * unit;
}

/** True when value is a whole multiple of unit. */
export function isMultipleOf(value: Dec, unit: Dec): boolean {
  return unit > 0n && value % unit === 0n;
}

/** The Dec as a float, for choosing only (the LP, bounds); never for pricing. */
export function toNumber(value: Dec): number {
  return Number(value) / Number(SCALE);
}

export function minDec(a: Dec, b: Dec): Dec {
  return a < b ? a : b;
}

export function maxDec(a: Dec, b: Dec): Dec {
  return a > b ? a : b;
}
