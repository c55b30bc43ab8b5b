/**
 * A two-market neg-risk basket for executor tests: markets a and b (fee-free, tick 0.01), books
 * at instant AT, and PLAN, which buys 10 YES of each at 0.40 and 0.50.
 */
import { parseDec, ZERO } from "../edge/decimal.ts";
import type { Plan, PlanLeg } from "../edge/plan.ts";
import type { ScanMarket, ScanRelation } from "../scanner/relation_set.ts";
import type { BookEvent } from "../stream/book_event.ts";

export const FREE = { rate: "0", exponent: 1, takerOnly: true } as const;
export const AT = 1_800_000_000_000;

export function market(id: string): ScanMarket {
  return {
    marketId: id,
    conditionId: `0x${id.padStart(64, "0")}`,
    yesTokenId: `${id}-yes`,
    noTokenId: `${id}-no`,
    fee: FREE,
    tickSize: "0.01",
    minOrderSize: "1",
    endDate: "2027-01-01T00:00:00.000Z",
  };
}

export const RELATION: ScanRelation = {
  key: "g",
  kind: "group",
  complete: true,
  convertFeeBips: null,
  markets: [market("a"), market("b")],
};

export function book(
  tokenId: string,
  bids: [string, string][],
  asks: [string, string][],
): BookEvent {
  return {
    kind: "book",
    tokenId,
    exchangeTs: AT,
    receivedAt: AT,
    connection: 1,
    sequence: 0,
    bids,
    asks,
    tickSize: "0.01",
  };
}

export function leg(tokenId: string, price: string): PlanLeg {
  const notional = parseDec(price) * 10n;
  return {
    marketId: tokenId.split("-")[0]!,
    tokenId,
    outcome: "YES",
    side: "BUY",
    shares: parseDec("10"),
    fills: [{ price: parseDec(price), shares: parseDec("10"), fee: ZERO }],
    notional,
    fees: ZERO,
    cost: notional,
  };
}

/** Buy 10 YES of a at 0.40 and 10 of b at 0.50: cost 9, pays 10, profit 1. */
export const PLAN: Plan = {
  channel: "neg_risk_basket",
  path: "buy YES of both",
  shares: parseDec("10"),
  legs: [leg("a-yes", "0.4"), leg("b-yes", "0.5")],
  cost: parseDec("9"),
  payoff: parseDec("10"),
  profit: parseDec("1"),
  capitalLocked: parseDec("9"),
  lockedUntil: null,
  annualisedReturn: null,
};
