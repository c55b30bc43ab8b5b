/**
 * From a market's YES book to the ask ladder of the token a channel buys: YES asks as they
 * are, NO asks as the mirror of YES bids (one book per condition). Refuses, with a reason, a
 * market whose fee schedule is unknown or whose book is off its tick grid.
 *
 * @example
 * ```ts
 * import { parseRules, prepareLeg } from "./legs.ts";
 * import { POLYMARKET_RULES } from "./market.ts";
 * const leg = prepareLeg(market, "NO", parseRules(POLYMARKET_RULES)); // PreparedLeg | string
 * ```
 */
import { type Dec, floorDiv, parseDec } from "./decimal.ts";
import { depth, floatLadder, minimumLots, mirrorLadder, parseLadder } from "./book_walk.ts";
import { parseFee } from "./fees.ts";
import type { MarketInput, VenueRules } from "./market.ts";
import type { PreparedLeg } from "./search.ts";

/** VenueRules as Decs. */
export interface ParsedRules {
  readonly lot: Dec;
  readonly minNotional: Dec;
}

export function parseRules(rules: VenueRules): ParsedRules {
  return { lot: parseDec(rules.lot), minNotional: parseDec(rules.minNotional) };
}

/** The ladder for buying `outcome` of `market`, or why it cannot be bought. */
export function prepareLeg(
  market: MarketInput,
  outcome: "YES" | "NO",
  rules: ParsedRules,
): PreparedLeg | string {
  const fee = parseFee(market.fee);
  if (fee === null) return `fee schedule unknown for market ${market.marketId}`;
  let tick: Dec, minSize: Dec;
  try {
    tick = parseDec(market.tickSize);
    minSize = parseDec(market.minOrderSize);
  } catch {
    return `tick size or minimum order unreadable for market ${market.marketId}`;
  }
  const side = outcome === "YES" ? market.book.asks : market.book.bids;
  const parsed = parseLadder(side, tick);
  if (parsed === null) return `book off the tick grid or malformed for market ${market.marketId}`;
  const levels = outcome === "YES" ? parsed : mirrorLadder(parsed);
  return {
    marketId: market.marketId,
    tokenId: outcome === "YES" ? market.yesTokenId : market.noTokenId,
    outcome,
    levels,
    fee,
    minLots: minimumLots(levels, { minSize, minNotional: rules.minNotional, lot: rules.lot }),
    depthLots: floorDiv(depth(levels), rules.lot),
    float: floatLadder(levels, fee),
    endDate: market.endDate,
    ...(market.questionIndex === undefined ? {} : { questionIndex: market.questionIndex }),
  };
}

/** Prepares every market's leg, or the first reason one cannot be prepared. */
export function prepareLegs(
  markets: readonly MarketInput[],
  outcome: "YES" | "NO",
  rules: ParsedRules,
): PreparedLeg[] | string {
  const legs: PreparedLeg[] = [];
  for (const market of markets) {
    const leg = prepareLeg(market, outcome, rules);
    if (typeof leg === "string") return leg;
    legs.push(leg);
  }
  return legs;
}
