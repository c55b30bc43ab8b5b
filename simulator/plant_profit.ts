/**
 * The planted truth's arithmetic, written out from the venue's rules rather than taken from the
 * edge engine, so the scanner is checked against an independent answer. Prices are whole
 * thousandths ("mills": 0.531 = 531), sizes whole hundredths of a share (12.37 = 1237), amounts
 * a bigint count of 1e-8 collateral (the engine's `Dec`).
 *
 * - A fill of s shares at q costs s × q (exact: 2 + 3 places) plus the taker fee
 *   s × rate × (q(1 − q))^exponent, floored to 1e-5 (one floor per fill; docs/relations.md).
 * - The adapter's conversion of s NO of each of n markets pays (n − 1) × s less its fee
 *   (n − 1) × s × feeBips / 10,000, floored to 1e-6.
 *
 * @example
 * ```ts
 * import { fillCost, plannedProfit } from "./plant_profit.ts";
 * const fee = { rateBp: 200, exponent: 1 };
 * fillCost(1237n, 469, fee); // 5.80153 + 0.06161 = 586314000n (1e-8)
 * plannedProfit({ sharesH: 1237n, payoutPerShare: 1n, mills: [469, 519], fee, convertFeeBips: 0 });
 * ```
 */

/** A taker fee schedule: rate in basis points (200 = 0.02), exponent a small whole number. */
export interface PlantFee {
  readonly rateBp: number;
  readonly exponent: number;
}

const FEE_UNIT = 1_000n; // 1e-5 collateral in 1e-8 units

/** The taker fee of one fill (1e-8 units, a multiple of 1e-5). */
export function takerFeeOf(sharesH: bigint, mills: number, fee: PlantFee): bigint {
  // exact = sharesH/100 × rateBp/1e4 × (mills(1000 − mills)/1e6)^e; in 1e-5: × 1e5.
  let numerator = sharesH * BigInt(fee.rateBp) * 100_000n;
  let denominator = 100n * 10_000n;
  for (let i = 0; i < fee.exponent; i++) {
    numerator *= BigInt(mills) * BigInt(1000 - mills);
    denominator *= 1_000_000n;
  }
  return (numerator / denominator) * FEE_UNIT;
}

/** What one fill of `sharesH` hundredths at `mills` costs, fee included (1e-8 units). */
export function fillCost(sharesH: bigint, mills: number, fee: PlantFee): bigint {
  // 0.01 share × 0.001 = 1e-5 collateral = 1,000 units of 1e-8.
  return sharesH * BigInt(mills) * 1_000n + takerFeeOf(sharesH, mills, fee);
}

/** The adapter's fee on `collateral` (1e-8 units): × feeBips / 10,000, floored to 1e-6. */
export function adapterFeeOf(collateral: bigint, feeBips: number): bigint {
  return (collateral * BigInt(feeBips) / 1_000_000n) * 100n;
}

/**
 * The profit of buying `sharesH` at each of `mills` (one fill each) for a payout of
 * `payoutPerShare` per share; with `convertFeeBips > 0` the payout is a conversion's collateral
 * and pays the adapter's fee.
 */
export function plannedProfit(o: {
  readonly sharesH: bigint;
  readonly payoutPerShare: bigint;
  readonly mills: readonly number[];
  readonly fee: PlantFee;
  readonly convertFeeBips: number;
}): bigint {
  const gross = o.sharesH * 1_000_000n * o.payoutPerShare;
  const payout = gross - adapterFeeOf(gross, o.convertFeeBips);
  return o.mills.reduce((left, m) => left - fillCost(o.sharesH, m, o.fee), payout);
}

/** Hundredths of a share from decimal text ("12.37" → 1237n). @throws {RangeError} */
export function parseHundredths(text: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (match === null) throw new RangeError(`depth must have at most 2 decimals, got "${text}"`);
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? "").padEnd(2, "0"));
}

/** Decimal text of hundredths (1237n → "12.37", 10000n → "100"). */
export function formatHundredths(h: bigint): string {
  const fraction = String(h % 100n).padStart(2, "0").replace(/0+$/, "");
  return `${h / 100n}${fraction === "" ? "" : `.${fraction}`}`;
}

/** Decimal text of mills (531 → "0.531", 500 → "0.5"). */
export function formatMills(mills: number): string {
  const fraction = String(mills % 1000).padStart(3, "0").replace(/0+$/, "");
  return `${Math.floor(mills / 1000)}${fraction === "" ? "" : `.${fraction}`}`;
}
