/**
 * The neg-risk long basket (relations.md §3.5; the conversion is in conversion.ts).
 *
 * Long basket, locked until resolution: buy q YES on every market; exactly one resolves YES, so
 * it pays q at resolution. Only on a complete group (placeholders and Other included).
 *
 * @example
 * ```ts
 * import { evaluateBasket } from "./neg_risk.ts";
 * const result = evaluateBasket(group, { rules, asOf: "2026-11-30T00:00:00Z" });
 * ```
 */
import { type Dec, ZERO } from "./decimal.ts";
import type { LegFill } from "./book_walk.ts";
import type { NegRiskGroupInput } from "./market.ts";
import { type ParsedRules, prepareLegs } from "./legs.ts";
import { searchQuantity } from "./search.ts";
import { type ChannelResult, holdToResolution } from "./plan.ts";

export interface EvaluationContext {
  readonly rules: ParsedRules;
  /** The instant the books are from (ISO), for the lock period. */
  readonly asOf: string;
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
    profitIsPayoffLessCosts: true,
  });
  if (best === null) return { ...base, complete: true, plan: null, reason: "no positive edge" };
  return {
    ...base,
    complete: true,
    plan: holdToResolution(legs, best.outcome, {
      channel: "neg_risk_basket",
      path: "buy YES on every market of the group and hold to resolution (exactly one pays 1)",
      shares: best.lots * context.rules.lot,
      asOf: context.asOf,
    }),
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

/** Why a group gets no plan at all, or null. */
export function refusal(group: NegRiskGroupInput): string | null {
  if (!group.complete) return "incomplete group (missing, placeholder or Other question)";
  if (group.markets.length < 2) return "fewer than two markets";
  return null;
}
