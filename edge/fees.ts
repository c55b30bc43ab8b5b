/**
 * The venue's taker fee on one fill: shares × rate × (p × (1 − p))^exponent collateral, rounded
 * to 5 decimals (under 0.00001 is 0). Makers pay nothing. Rounding is a floor, as
 * NautilusTrader's `compute_commission` does; tests/fixtures fills agree (see fees_test.ts).
 *
 * @example
 * ```ts
 * import { takerFee } from "./fees.ts";
 * import { formatDec, parseDec } from "./decimal.ts";
 * const fee = takerFee(parseDec("35.44"), parseDec("0.55"), { rate: "0.05", exponent: 1, takerOnly: true });
 * formatDec(fee); // "0.43857"
 * ```
 */
import { type Dec, floorDiv, ONE, parseDec, SCALE, toNumber } from "./decimal.ts";
import type { FeeSchedule } from "./market.ts";

/** Fees are charged in whole 1e-5 of collateral. */
export const FEE_PLACES = 5;
const FEE_UNIT: Dec = 1_000n; // 1e-5 in Dec units

/** A fee schedule the engine can price: rate parsed, exponent a small whole number. */
export interface ParsedFee {
  readonly rate: Dec;
  readonly exponent: number;
}

/**
 * Parses a schedule; null when it is unknown or outside the formula (negative rate,
 * fractional or huge exponent), so the caller refuses to plan instead of guessing.
 */
export function parseFee(schedule: FeeSchedule | null): ParsedFee | null {
  if (schedule === null) return null;
  if (!Number.isInteger(schedule.exponent) || schedule.exponent < 0 || schedule.exponent > 4) {
    return null;
  }
  let rate: Dec;
  try {
    rate = parseDec(schedule.rate);
  } catch {
    return null;
  }
  if (rate < 0n) return null;
  return { rate, exponent: schedule.exponent };
}

/** The taker fee of one fill of `shares` at `price`, floored to 5 decimals. */
export function takerFee(shares: Dec, price: Dec, fee: ParsedFee | FeeSchedule): Dec {
  const parsed = "takerOnly" in fee ? parseFee(fee) : fee;
  if (parsed === null) throw new RangeError("Cannot price a fill without a fee schedule");
  const variance = price * (ONE - price); // scale 1e16
  let raw = shares * parsed.rate; // scale 1e16
  let scale = SCALE * SCALE;
  for (let i = 0; i < parsed.exponent; i++) {
    raw *= variance;
    scale *= SCALE * SCALE;
  }
  // raw / scale is the exact fee; floor it to 1e-5 and express it in Dec units.
  return floorDiv(raw * 100_000n, scale) * FEE_UNIT;
}

/** The unrounded fee per share at `price`, as a float: for bounds and the LP only. */
export function feePerShare(price: Dec, fee: ParsedFee): number {
  const p = toNumber(price);
  return toNumber(fee.rate) * Math.pow(p * (1 - p), fee.exponent);
}
