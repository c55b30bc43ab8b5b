/**
 * One relation on the live books: the exact best-level pre-checks that rule most book changes
 * out in microseconds, then the edge engine for the channels that pass; and the re-pricing of
 * a fixed plan (same legs, same shares) on later books, for survival.
 *
 * Pre-checks are necessary conditions, never approximations: fees are ≥ 0 and deeper levels
 * are worse, so
 * - conversion (any nested set of NO → collateral) needs Σ best YES bids > 1;
 * - the long basket needs an ask on every leg and Σ best YES asks < 1;
 * - an implication pair needs the antecedent's best YES bid above the consequent's best ask.
 */
import { type Dec, ZERO } from "../edge/decimal.ts";
import { walkBuy } from "../edge/book_walk.ts";
import { evaluateConversion } from "../edge/conversion.ts";
import { evaluateImplication } from "../edge/ladder.ts";
import { type ParsedRules, prepareLeg } from "../edge/legs.ts";
import type { MarketInput } from "../edge/market.ts";
import { evaluateBasket } from "../edge/neg_risk.ts";
import type { ChannelResult, Plan } from "../edge/plan.ts";
import type { L2Books } from "../stream/l2_book.ts";
import type { RelationSet, ScanMarket, ScanRelation } from "./relation_set.ts";

/** The live channels (the LP runs off the hot path, not here). */
export type LiveChannel = "neg_risk_conversion" | "neg_risk_basket" | "implication";

const ONE_UNITS = 1e8;

/** The channels whose best-level bound passes on the current books. */
export function precheck(relation: ScanRelation, books: L2Books): LiveChannel[] {
  if (relation.kind === "implication") {
    const [a, b] = relation.markets as [ScanMarket, ScanMarket];
    const bid = books.bestBid(a.yesTokenId);
    const ask = books.bestAsk(b.yesTokenId);
    return bid !== null && ask !== null && bid > ask ? ["implication"] : [];
  }
  let bids = 0;
  let asks = 0;
  let allAsks = true;
  for (const market of relation.markets) {
    bids += books.bestBid(market.yesTokenId) ?? 0;
    const ask = books.bestAsk(market.yesTokenId);
    if (ask === null) allAsks = false;
    else asks += ask;
  }
  const out: LiveChannel[] = [];
  if (bids > ONE_UNITS && relation.convertFeeBips !== null) out.push("neg_risk_conversion");
  if (allAsks && asks < ONE_UNITS) out.push("neg_risk_basket");
  return out;
}

/** The market with its live YES book, or null while that book is gated. */
export function marketInput(market: ScanMarket, books: L2Books): MarketInput | null {
  const book = books.book(market.yesTokenId);
  if (book === null) return null;
  return {
    marketId: market.marketId,
    conditionId: market.conditionId,
    yesTokenId: market.yesTokenId,
    noTokenId: market.noTokenId,
    book,
    fee: market.fee,
    tickSize: books.tickSize(market.yesTokenId) ?? market.tickSize,
    minOrderSize: market.minOrderSize,
    endDate: market.endDate,
    ...(market.questionIndex === undefined ? {} : { questionIndex: market.questionIndex }),
  };
}

/** Runs one channel of the edge engine on the live books. */
export function evaluateChannel(
  relation: ScanRelation,
  channel: LiveChannel,
  context: { readonly books: L2Books; readonly rules: ParsedRules; readonly asOf: string },
): ChannelResult | null {
  const markets: MarketInput[] = [];
  for (const m of relation.markets) {
    const input = marketInput(m, context.books);
    if (input === null) return null;
    markets.push(input);
  }
  const ctx = { rules: context.rules, asOf: context.asOf };
  if (channel === "implication") {
    return evaluateImplication({ antecedent: markets[0]!, consequent: markets[1]! }, ctx);
  }
  const group = {
    groupId: relation.key,
    complete: relation.complete,
    convertFeeBips: relation.convertFeeBips,
    markets,
  };
  return channel === "neg_risk_conversion"
    ? evaluateConversion(group, ctx)
    : evaluateBasket(group, ctx);
}

/**
 * The same plan (each leg's token and shares) bought on the current books: its payoff minus
 * the new cost, or null when a leg cannot be filled (gated book, too little depth).
 */
export function repricePlan(
  plan: Plan,
  context: { readonly books: L2Books; readonly rules: ParsedRules; readonly set: RelationSet },
): Dec | null {
  let cost = ZERO;
  for (const leg of plan.legs) {
    const market = context.set.marketOf(leg.tokenId);
    if (market === undefined) return null;
    const input = marketInput(market, context.books);
    if (input === null) return null;
    const prepared = prepareLeg(input, leg.outcome, context.rules);
    if (typeof prepared === "string") return null;
    const fill = walkBuy(prepared.levels, leg.shares, prepared.fee);
    if (fill === null) return null;
    cost += fill.cost;
  }
  return plan.payoff - cost;
}
