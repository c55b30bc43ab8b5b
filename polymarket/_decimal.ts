/**
 * Exact arithmetic on `DecimalString` values via scaled bigints (book totals, mid, spread).
 */
import type { DecimalString } from "./ids.ts";

function scaleOf(d: string): number {
  const dot = d.indexOf(".");
  return dot < 0 ? 0 : d.length - dot - 1;
}

function toScaled(d: string, scale: number): bigint {
  const dot = d.indexOf(".");
  const int = dot < 0 ? d : d.slice(0, dot);
  const frac = dot < 0 ? "" : d.slice(dot + 1);
  return BigInt((int || "0") + frac.padEnd(scale, "0"));
}

function fromScaled(v: bigint, scale: number): DecimalString {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, "0");
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${neg ? "-" : ""}${int}${frac === "" ? "" : "." + frac}` as DecimalString;
}

/** Compares two canonical decimals: negative, zero or positive like `Array.sort`. */
export function compareDecimal(a: DecimalString, b: DecimalString): number {
  if (a === b) return 0;
  // Up to 15 significant digits a double is exact enough to order distinct decimals.
  if (a.length <= 15 && b.length <= 15) return Number(a) - Number(b);
  const s = Math.max(scaleOf(a), scaleOf(b));
  const x = toScaled(a, s);
  const y = toScaled(b, s);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Formats a non-negative safe integer scaled by 10^scale without bigint. */
function fromScaledNumber(v: number, scale: number): DecimalString {
  if (scale === 0) return String(v) as DecimalString;
  const digits = String(v).padStart(scale + 1, "0");
  const cut = digits.length - scale;
  let end = digits.length;
  while (end > cut && digits.charCodeAt(end - 1) === 48) end--;
  const int = digits.slice(0, cut);
  return (end === cut ? int : `${int}.${digits.slice(cut, end)}`) as DecimalString;
}

/** Exact sum of `pick(item)` over `items` ("0" for an empty list). */
export function sumDecimals<T>(
  items: readonly T[],
  pick: (item: T) => DecimalString,
): DecimalString {
  let s = 0;
  for (const it of items) s = Math.max(s, scaleOf(pick(it)));
  if (s <= 8) {
    // Fast path: scaled integers stay exact in a double below 2^53.
    const f = 10 ** s;
    let sum = 0;
    let exact = true;
    for (const it of items) {
      const x = Number(pick(it)) * f;
      if (!(x < 1e15)) {
        exact = false;
        break;
      }
      sum += Math.round(x);
    }
    if (exact && sum <= Number.MAX_SAFE_INTEGER) return fromScaledNumber(sum, s);
  }
  let total = 0n;
  for (const it of items) total += toScaled(pick(it), s);
  return fromScaled(total, s);
}

/** Exact `a - b` (may be negative on a crossed book). */
export function subtractDecimal(a: DecimalString, b: DecimalString): DecimalString {
  const s = Math.max(scaleOf(a), scaleOf(b));
  return fromScaled(toScaled(a, s) - toScaled(b, s), s);
}

/** Exact `(a + b) / 2`. */
export function midDecimal(a: DecimalString, b: DecimalString): DecimalString {
  const s = Math.max(scaleOf(a), scaleOf(b));
  return fromScaled((toScaled(a, s) + toScaled(b, s)) * 5n, s + 1);
}
