/**
 * The arithmetic of a taker order, pure: which levels of the opposite side it takes (best
 * price first, within its limit price `usd / shares` compared exactly, up to its size in book
 * hundredths or — a market BUY — its USD budget) and the taker fee of a fill. A book size of
 * `h` hundredths at `p` price units (1e-4) costs `h × p` collateral units (1e-6).
 *
 * @example
 * ```ts
 * import { takerFee } from "./venue_match.ts";
 * const schedule = { rate: "0.07", exponent: "1", takerOnly: true, rebateRate: "0.2" };
 * takerFee(schedule, 10_000, 5000); // 1750000n: 100 shares at 0.50 pay 1.75
 * ```
 */
import type { MarketBook, YesSide } from "./book.ts";
import type { SimFeeSchedule } from "./structure.ts";
import { PRICE_SCALE } from "./universe.ts";

/** The order's side and signed amounts (1e-6 units). */
export interface TakerLimit {
  side: "BUY" | "SELL";
  maker: bigint;
  taker: bigint;
}

/** One level a taker takes. */
export interface PlannedFill {
  yesSide: YesSide;
  yesPrice: number;
  /** The level's price for the order's token (price units). */
  tokenPrice: number;
  hundredths: number;
}

/** What a taker would take; nothing is changed. */
export interface TakePlan {
  fills: PlannedFill[];
  /** True when the order's size (or budget, to less than one more hundredth) is filled. */
  complete: boolean;
  /** A budgeted order's shares (hundredths), else null. */
  budgetShares: number | null;
}

/**
 * The levels a taker of `outcome` would take in `book`: a Yes BUY or a No SELL takes Yes
 * asks, a Yes SELL or a No BUY takes Yes bids (the No book mirrors the Yes book).
 */
export function planTake(
  book: MarketBook,
  outcome: 0 | 1,
  limit: TakerLimit,
  want: { hundredths: number; budget: bigint | null },
): TakePlan {
  const yesSide: YesSide = (limit.side === "BUY") === (outcome === 0) ? "ask" : "bid";
  const map = yesSide === "bid" ? book.bids : book.asks;
  const levels = [...map.entries()].map(([yesPrice, size]) => ({
    yesPrice,
    size,
    tokenPrice: outcome === 0 ? yesPrice : PRICE_SCALE - yesPrice,
  })).sort((a, b) =>
    limit.side === "BUY" ? a.tokenPrice - b.tokenPrice : b.tokenPrice - a.tokenPrice
  );
  const scale = BigInt(PRICE_SCALE);
  const fills: PlannedFill[] = [];
  let left = want.hundredths;
  let budget = want.budget;
  let budgetShares = 0;
  for (const level of levels) {
    const price = BigInt(level.tokenPrice);
    const within = limit.side === "BUY"
      ? price * limit.taker <= limit.maker * scale
      : price * limit.maker >= limit.taker * scale;
    if (!within || price === 0n) break;
    let take: number;
    if (budget !== null) {
      take = Math.min(level.size, Number(budget / price));
      budget -= BigInt(take) * price;
      budgetShares += take;
    } else {
      take = Math.min(level.size, left);
      left -= take;
    }
    if (take > 0) fills.push({ yesSide, ...level, hundredths: take });
    if (budget !== null ? budget < price : left === 0) break;
  }
  const lastPrice = BigInt(fills.at(-1)?.tokenPrice ?? 1);
  return {
    fills,
    complete: budget !== null ? fills.length > 0 && budget < lastPrice : left === 0,
    budgetShares: budget !== null ? budgetShares : null,
  };
}

/**
 * Taker fee of a fill in collateral units (1e-6): shares × rate × (p(1−p))^exponent, rounded
 * to 5 decimal places (half up); 0 on a fee-free market. Exact for exponent 1.
 */
export function takerFee(
  schedule: SimFeeSchedule | null,
  hundredths: number,
  priceUnits: number,
): bigint {
  if (schedule === null) return 0n;
  const p = BigInt(priceUnits);
  const q = BigInt(PRICE_SCALE) - p;
  if (schedule.exponent === "1") {
    // hundredths/100 × rate/1e6 × p·q/1e8 shares·USD, × 1e6 units: the product is fee × 1e16
    const scaled = BigInt(hundredths) * decimalUnits(schedule.rate) * p * q;
    return (scaled + 50_000_000_000n) / 100_000_000_000n * 10n;
  }
  const x = (priceUnits / PRICE_SCALE) * (1 - priceUnits / PRICE_SCALE);
  const fee = (hundredths / 100) * Number(schedule.rate) * x ** Number(schedule.exponent);
  return BigInt(Math.round(fee * 1e5)) * 10n;
}

/** A decimal string with at most 6 places in 1e-6 units. */
export function decimalUnits(text: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (m === null) throw new TypeError(`Not a decimal with at most 6 places: ${text}`);
  return BigInt(m[1]) * 1_000_000n + BigInt((m[2] ?? "").padEnd(6, "0"));
}
