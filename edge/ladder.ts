/**
 * Ladder and implication pairs: when A implies B (an earlier deadline implies a later one, a
 * higher threshold a lower one), P(A) ≤ P(B). If A's YES bid is above B's YES ask, buy q NO of A
 * (at 1 − A's YES bids) and q YES of B: every valid outcome (A∧B, ¬A∧B, ¬A∧¬B) pays at least q
 * at resolution. Capital is locked until the later of the two resolves. The payoff assumes
 * both resolve 0/1: a 50-50 or voided leg breaks it (see docs/relations.md).
 *
 * @example
 * ```ts
 * import { evaluateImplication } from "./ladder.ts";
 * const result = evaluateImplication({ antecedent: byMarch, consequent: byJune }, context);
 * ```
 */
import type { ImplicationInput } from "./market.ts";
import { prepareLeg } from "./legs.ts";
import { allFilled, type EvaluationContext } from "./neg_risk.ts";
import { searchQuantity } from "./search.ts";
import { type ChannelResult, holdToResolution } from "./plan.ts";

export function evaluateImplication(
  pair: ImplicationInput,
  context: EvaluationContext,
): ChannelResult {
  const base = {
    channel: "implication",
    subject: `${pair.antecedent.marketId}=>${pair.consequent.marketId}`,
    complete: true,
  } as const;
  const no = prepareLeg(pair.antecedent, "NO", context.rules);
  if (typeof no === "string") return { ...base, plan: null, reason: no };
  const yes = prepareLeg(pair.consequent, "YES", context.rules);
  if (typeof yes === "string") return { ...base, plan: null, reason: yes };
  const legs = [no, yes];
  const best = searchQuantity({
    legs,
    lot: context.rules.lot,
    exact: (shares, fills) => allFilled(shares, fills),
    relaxed: (shares, costs) => shares - costs[0]! - costs[1]!,
    profitIsPayoffLessCosts: true,
  });
  if (best === null) return { ...base, plan: null, reason: "no positive edge" };
  return {
    ...base,
    plan: holdToResolution(legs, best.outcome, {
      channel: "implication",
      path: "buy NO of the antecedent and YES of the consequent, hold both to resolution",
      shares: best.lots * context.rules.lot,
      asOf: context.asOf,
    }),
  };
}
