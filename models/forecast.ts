/**
 * Forecast values of one binary market at one instant (issue 28), pure: per token its market
 * price, the probability with an interval, the expected value of buying one share at its best
 * ask after the taker fee, and a capped Kelly fraction. Paper only: nothing trades on these.
 *
 * - EV per share of buying a token at ask a: q − a − fee(a), where q is the token's probability
 *   and fee(a) = rate × (a(1 − a))^exponent is the taker fee per share before the venue's
 *   rounding to 1e-5 collateral (`feePerShare`, edge/fees.ts). No ask, or an unknown fee
 *   schedule: no EV (never a default rate).
 * - Kelly: a share costs c = a + fee(a) and pays 1 when the token wins, so the growth-optimal
 *   fraction of a bankroll to spend on it is f* = (q − c)/(1 − c) when q > c, else 0. The stored
 *   fraction is a quarter of it, capped at 5% of the bankroll (`KELLY_MULTIPLIER`, `KELLY_CAP`):
 *   q is an estimate, and full Kelly on an overstated q loses money fast.
 * - The NO token's price, probability and interval are 1 − the YES token's (its interval's ends
 *   swapped). Its ask is its own book's best ask; with no NO book, 1 − the YES book's best bid
 *   (the venue's books are mirrors), and the source says so.
 * - The interval (`wilsonInterval`): the 95% Wilson score interval of the probability as if it
 *   were a frequency observed on n resolved markets, n being the out-of-sample rows the stored
 *   model's walk-forward evaluation had in the probability's bin at that horizon: a model is only
 *   as sure of 0.62 as the markets it was checked on near 0.62 allow. The market baseline's
 *   interval is the YES book's bid–ask range (widened to take in the price when that is older
 *   than the book and lies outside it), the market's own uncertainty.
 *
 * @example
 * ```ts
 * import { forecastTokens } from "./forecast.ts";
 * const [yes] = forecastTokens({
 *   marketId: "1", yesTokenId: "11", noTokenId: "12", price: 0.5, probability: 0.6,
 *   low: 0.55, high: 0.65, yesAsk: 0.52, noAsk: 0.5, noAskMirrored: false,
 *   fee: { rate: 0.05, exponent: 1 },
 * });
 * yes.evPerShare; // 0.6 − 0.52 − 0.05 × 0.52 × 0.48 = 0.06752
 * ```
 */

/** Fraction of full Kelly stored. */
export const KELLY_MULTIPLIER = 0.25;
/** Largest fraction of a bankroll any one forecast may suggest. */
export const KELLY_CAP = 0.05;
/** The interval's normal quantile (95%). */
export const INTERVAL_Z = 1.959963984540054;

/** A fee schedule as numbers: per share, rate × (p(1 − p))^exponent. */
export interface FeeRate {
  readonly rate: number;
  readonly exponent: number;
}

/** What one market's forecast is computed from. */
export interface ForecastInput {
  readonly marketId: string;
  readonly yesTokenId: string;
  readonly noTokenId: string;
  /** The YES price the probability was made from. */
  readonly price: number;
  /** The YES probability (after coherence). */
  readonly probability: number;
  /** The YES interval; null when none could be given. */
  readonly low: number | null;
  readonly high: number | null;
  readonly yesAsk: number | null;
  readonly noAsk: number | null;
  /** The NO ask is 1 − the YES best bid (no NO book). */
  readonly noAskMirrored: boolean;
  /** Null: the fee schedule at the instant is unknown. */
  readonly fee: FeeRate | null;
}

/** One token's forecast. */
export interface TokenForecast {
  readonly marketId: string;
  readonly tokenId: string;
  readonly outcomeIndex: 0 | 1;
  readonly price: number;
  readonly probability: number;
  readonly low: number | null;
  readonly high: number | null;
  readonly ask: number | null;
  readonly askSource: "book" | "mirror" | "none";
  /** Null: no ask, or no known fee. */
  readonly evPerShare: number | null;
  /** Null where the EV is null; 0 when the EV is not positive. */
  readonly kelly: number | null;
}

/** The YES and NO token's forecasts, in that order. */
export function forecastTokens(input: ForecastInput): [TokenForecast, TokenForecast] {
  const flip = (x: number | null) => (x === null ? null : 1 - x);
  const token = (
    tokenId: string,
    outcomeIndex: 0 | 1,
    price: number,
    q: number,
    low: number | null,
    high: number | null,
    ask: number | null,
    askSource: TokenForecast["askSource"],
  ): TokenForecast => {
    const evPerShare = ask === null || input.fee === null ? null : buyEv(q, ask, input.fee);
    return {
      marketId: input.marketId,
      tokenId,
      outcomeIndex,
      price,
      probability: q,
      low,
      high,
      ask,
      askSource: ask === null ? "none" : askSource,
      evPerShare,
      kelly: ask === null || input.fee === null ? null : cappedKelly(q, ask, input.fee),
    };
  };
  return [
    token(
      input.yesTokenId,
      0,
      input.price,
      input.probability,
      input.low,
      input.high,
      input.yesAsk,
      "book",
    ),
    token(
      input.noTokenId,
      1,
      1 - input.price,
      1 - input.probability,
      flip(input.high),
      flip(input.low),
      input.noAsk,
      input.noAskMirrored ? "mirror" : "book",
    ),
  ];
}

/** The taker fee per share at `price` before rounding. */
export function feeAt(price: number, fee: FeeRate): number {
  return fee.rate * Math.pow(price * (1 - price), fee.exponent);
}

/** Expected value of buying one share at `ask` of a token that wins with probability `q`. */
export function buyEv(q: number, ask: number, fee: FeeRate): number {
  return q - ask - feeAt(ask, fee);
}

/** {@link KELLY_MULTIPLIER} × full Kelly, at most {@link KELLY_CAP}; 0 when the EV is ≤ 0. */
export function cappedKelly(q: number, ask: number, fee: FeeRate): number {
  const cost = ask + feeAt(ask, fee);
  if (!(q > cost) || cost >= 1) return 0;
  const full = (q - cost) / (1 - cost);
  return Math.min(KELLY_CAP, KELLY_MULTIPLIER * full);
}

/**
 * The Wilson score interval of `p` observed on `n` trials (see the module header for what n
 * is); null when n is not positive.
 */
export function wilsonInterval(
  p: number,
  n: number,
  z = INTERVAL_Z,
): { low: number; high: number } | null {
  if (!(n > 0)) return null;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * The stored horizon a market with `msToEnd` left is forecast at: the one nearest in log time
 * (a market 30 h from its end uses the 24 h map rather than the 7 d one); a market at or past
 * its end uses the shortest, one with no known end the longest.
 */
export function nearestHorizon(
  horizons: readonly { label: string; ms: number }[],
  msToEnd: number | null,
): { label: string; ms: number } {
  if (horizons.length === 0) throw new RangeError("No horizon to forecast at");
  const sorted = [...horizons].sort((a, b) => a.ms - b.ms);
  if (msToEnd === null) return sorted[sorted.length - 1]!;
  if (msToEnd <= 0) return sorted[0]!;
  let best = sorted[0]!;
  for (const h of sorted) {
    if (Math.abs(Math.log(msToEnd / h.ms)) < Math.abs(Math.log(msToEnd / best.ms))) best = h;
  }
  return best;
}
