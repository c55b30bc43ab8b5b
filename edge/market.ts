/**
 * The edge engine's inputs: plain data, decimals as strings, no I/O. A caller (the CLI, the
 * scanner) builds these from stored or live books and the markets table.
 *
 * @example
 * ```ts
 * import type { MarketInput } from "./market.ts";
 * const leg: MarketInput = {
 *   marketId: "1", conditionId: "0xabc", yesTokenId: "11", noTokenId: "12",
 *   book: { bids: [["0.40", "100"]], asks: [["0.42", "50"]] },
 *   fee: { rate: "0.05", exponent: 1, takerOnly: true },
 *   tickSize: "0.01", minOrderSize: "5", endDate: "2026-12-31T00:00:00Z",
 * };
 * ```
 */

/** One book level: [price, size] as the venue prints them. */
export type LevelText = readonly [price: string, size: string];

/** A YES token's book, each side best first (bids descending, asks ascending). */
export interface BookInput {
  readonly bids: readonly LevelText[];
  readonly asks: readonly LevelText[];
}

/**
 * A market's taker fee, from Gamma `feeSchedule` (rate, exponent, takerOnly). The charge per
 * fill is shares × rate × (p × (1 − p))^exponent, rounded to 5 decimals.
 */
export interface FeeSchedule {
  readonly rate: string;
  /** A whole number ≥ 0 (1 on every market seen so far). */
  readonly exponent: number;
  readonly takerOnly: boolean;
}

/** One binary market (condition) with its YES book; the NO book is its mirror. */
export interface MarketInput {
  readonly marketId: string;
  readonly conditionId: string;
  readonly yesTokenId: string;
  readonly noTokenId: string;
  /** The YES token's book. NO asks = 1 − YES bids with the same depth (one book per condition). */
  readonly book: BookInput;
  /** The NO token's own stored book when there is one: only used for the data alarm. */
  readonly noBook?: BookInput;
  /** null = fee schedule unknown: no plan may use this market. */
  readonly fee: FeeSchedule | null;
  readonly tickSize: string;
  readonly minOrderSize: string;
  /** ISO instant when the market is expected to resolve, or null when unknown. */
  readonly endDate: string | null;
  /** The question's index in its neg-risk group (bit i of the adapter's indexSet). */
  readonly questionIndex?: number;
}

/** A neg-risk group (one `negRiskMarketID`): mutually exclusive, exhaustive when complete. */
export interface NegRiskGroupInput {
  readonly groupId: string;
  /**
   * True only when every on-chain question of the group is present, placeholders and Other
   * included. An incomplete group gets no plan in any channel.
   */
  readonly complete: boolean;
  /**
   * The adapter's fee on converted collateral, in basis points (MarketPrepared `feeBips`, read
   * on chain); null when unknown, and then the conversion channel makes no plan.
   */
  readonly convertFeeBips: number | null;
  readonly markets: readonly MarketInput[];
}

/** An implication A ⇒ B (earlier deadline ⇒ later; higher threshold ⇒ lower). */
export interface ImplicationInput {
  readonly antecedent: MarketInput;
  readonly consequent: MarketInput;
}

/** Venue-wide rules that are not per market. */
export interface VenueRules {
  /** Share granularity of an order (sizes have 2 decimals). */
  readonly lot: string;
  /** A marketable order must be worth at least this much collateral. */
  readonly minNotional: string;
}

/** The venue's rules as of 2026 (relations.md §3.3). */
export const POLYMARKET_RULES: VenueRules = { lot: "0.01", minNotional: "1" };
