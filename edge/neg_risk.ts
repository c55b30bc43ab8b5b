/**
 * The two neg-risk channels (relations.md §3.5).
 *
 * Conversion, executable now: buy q NO on each market of a set S (|S| ≥ 2) at the NO asks
 * (= 1 − YES bids, same depth), call the adapter's `convertPositions`, receive (|S| − 1)·q
 * collateral minus `feeBips` at once plus q YES of every market outside S (kept, counted as 0).
 * For a given q and |S| the best S is the |S| markets whose NO costs least, so trying each size
 * of S in that order is exact.
 *
 * Long basket, locked until resolution: buy q YES on every market; exactly one resolves YES, so
 * it pays q at resolution. Only on a complete group (placeholders and Other included).
 *
 * @example
 * ```ts
 * import { evaluateConversion } from "./neg_risk.ts";
 * const result = evaluateConversion(group, { rules, asOf: "2026-11-30T00:00:00Z" });
 * ```
 */
import { type Dec, floorDiv, ZERO } from "./decimal.ts";
import type { LegFill } from "./book_walk.ts";
import type { NegRiskGroupInput } from "./market.ts";
import { type ParsedRules, prepareLegs } from "./legs.ts";
import { searchQuantity } from "./search.ts";
import { annualise, type ChannelResult, latestEnd, planLeg } from "./plan.ts";

export interface EvaluationContext {
  readonly rules: ParsedRules;
  /** The instant the books are from (ISO), for the lock period. */
  readonly asOf: string;
}

/** The adapter's fee on `amount` collateral: amount × feeBips / 10,000, floored to 1e-6. */
export function adapterFee(amount: Dec, feeBips: number): Dec {
  return floorDiv(amount * BigInt(feeBips), 1_000_000n) * 100n;
}

interface ConversionOutcome {
  readonly profit: Dec;
  readonly chosen: readonly number[];
  readonly fills: readonly LegFill[];
  readonly collateralOut: Dec;
  readonly adapterFee: Dec;
}

export function evaluateConversion(
  group: NegRiskGroupInput,
  context: EvaluationContext,
): ChannelResult {
  const base = { channel: "neg_risk_conversion", subject: group.groupId } as const;
  const refused = refusal(group);
  if (refused !== null) return { ...base, complete: group.complete, plan: null, reason: refused };
  const legs = prepareLegs(group.markets, "NO", context.rules);
  if (typeof legs === "string") return { ...base, complete: true, plan: null, reason: legs };
  const bips = group.convertFeeBips;
  const best = searchQuantity<ConversionOutcome>({
    legs,
    lot: context.rules.lot,
    extraSlack: 1e-6,
    exact(shares, fills) {
      const order = fills.flatMap((fill, i) => (fill === null ? [] : [i]))
        .sort((a, b) => compareDesc(shares - fills[a]!.cost, shares - fills[b]!.cost) || a - b);
      let sum = ZERO;
      let top: ConversionOutcome | null = null;
      for (let k = 0; k < order.length; k++) {
        sum += shares - fills[order[k]!]!.cost;
        if (k < 1) continue;
        const gross = BigInt(k) * shares;
        const fee = adapterFee(gross, bips);
        const profit = sum - shares - fee;
        if (top === null || profit > top.profit) {
          const chosen = order.slice(0, k + 1);
          top = {
            profit,
            chosen,
            fills: chosen.map((i) => fills[i]!),
            collateralOut: gross - fee,
            adapterFee: fee,
          };
        }
      }
      return top;
    },
    relaxed(shares, costs) {
      const gains = costs.map((cost) => shares - cost).sort((a, b) => b - a);
      let sum = 0;
      let top = -Infinity;
      for (let k = 0; k < gains.length && gains[k]! > -Infinity; k++) {
        sum += gains[k]!;
        if (k >= 1) top = Math.max(top, sum - shares - k * shares * bips / 10_000);
      }
      return top;
    },
  });
  if (best === null) return { ...base, complete: true, plan: null, reason: "no positive edge" };
  const { outcome } = best;
  const chosenLegs = outcome.chosen.map((i) => legs[i]!);
  const planLegs = chosenLegs.map((leg, j) => planLeg(leg, outcome.fills[j]!));
  const cost = planLegs.reduce((sum, leg) => sum + leg.cost, ZERO);
  const inSet = new Set(outcome.chosen);
  const indices = chosenLegs.map((leg) => leg.questionIndex);
  return {
    ...base,
    complete: true,
    plan: {
      channel: "neg_risk_conversion",
      path: "buy NO on each market of S, convertPositions(S) on the NegRisk adapter, " +
        "receive (|S|-1) x shares collateral now, keep the YES of the other markets",
      shares: best.lots * context.rules.lot,
      legs: planLegs,
      cost,
      payoff: outcome.collateralOut,
      profit: outcome.profit,
      capitalLocked: cost,
      lockedUntil: "now",
      annualisedReturn: null,
      conversion: {
        marketIds: chosenLegs.map((leg) => leg.marketId),
        indexSet: indices.every((i) => i !== undefined)
          ? `0x${indices.reduce((bits, i) => bits | (1n << BigInt(i!)), 0n).toString(16)}`
          : null,
        collateralOut: outcome.collateralOut,
        adapterFee: outcome.adapterFee,
        yesKept: group.markets.filter((_, i) => !inSet.has(i)).map((m) => m.yesTokenId),
      },
    },
  };
}

interface BasketOutcome {
  readonly profit: Dec;
  readonly fills: readonly LegFill[];
}

export function evaluateBasket(
  group: NegRiskGroupInput,
  context: EvaluationContext,
): ChannelResult {
  const base = { channel: "neg_risk_basket", subject: group.groupId } as const;
  const refused = refusal(group);
  if (refused !== null) return { ...base, complete: group.complete, plan: null, reason: refused };
  const legs = prepareLegs(group.markets, "YES", context.rules);
  if (typeof legs === "string") return { ...base, complete: true, plan: null, reason: legs };
  const best = searchQuantity<BasketOutcome>({
    legs,
    lot: context.rules.lot,
    exact: (shares, fills) => allFilled(shares, fills),
    relaxed: (shares, costs) => shares - costs.reduce((a, b) => a + b, 0),
  });
  if (best === null) return { ...base, complete: true, plan: null, reason: "no positive edge" };
  const shares = best.lots * context.rules.lot;
  const planLegs = legs.map((leg, i) => planLeg(leg, best.outcome.fills[i]!));
  const cost = shares - best.outcome.profit;
  const until = latestEnd(legs);
  return {
    ...base,
    complete: true,
    plan: {
      channel: "neg_risk_basket",
      path: "buy YES on every market of the group and hold to resolution (exactly one pays 1)",
      shares,
      legs: planLegs,
      cost,
      payoff: shares,
      profit: best.outcome.profit,
      capitalLocked: cost,
      lockedUntil: until,
      annualisedReturn: annualise(best.outcome.profit, cost, { asOf: context.asOf, until }),
    },
  };
}

/** Every leg filled: payoff q per unit, profit q − Σ cost; null when a leg cannot trade. */
export function allFilled(
  shares: Dec,
  fills: readonly (LegFill | null)[],
): { readonly profit: Dec; readonly fills: readonly LegFill[] } | null {
  if (fills.some((fill) => fill === null)) return null;
  const filled = fills as readonly LegFill[];
  return { profit: shares - filled.reduce((sum, fill) => sum + fill.cost, ZERO), fills: filled };
}

function refusal(group: NegRiskGroupInput): string | null {
  if (!group.complete) return "incomplete group (missing, placeholder or Other question)";
  if (group.markets.length < 2) return "fewer than two markets";
  return null;
}

function compareDesc(a: Dec, b: Dec): number {
  return a > b ? -1 : a < b ? 1 : 0;
}
