/**
 * Every channel on one event's books: per neg-risk group the conversion, the long basket and
 * the LP over its partition; per implication pair the pair and the LP over its three valid
 * outcomes; plus the book-integrity alarms of every market.
 *
 * @example
 * ```ts
 * import { evaluateEvent } from "./evaluate.ts";
 * const { results, alarms } = evaluateEvent(input, { rules, asOf, solver });
 * ```
 */
import { type BookAlarm, bookAlarms } from "./alarms.ts";
import { evaluateConversion } from "./conversion.ts";
import { evaluateImplication } from "./ladder.ts";
import {
  evaluateJointOutcomes,
  IMPLICATION_OUTCOMES,
  partitionOutcomes,
  type Solver,
} from "./lp.ts";
import type { ImplicationInput, MarketInput, NegRiskGroupInput } from "./market.ts";
import { evaluateBasket, type EvaluationContext, refusal } from "./neg_risk.ts";
import type { ChannelResult } from "./plan.ts";

export interface EventInput {
  readonly groups: readonly NegRiskGroupInput[];
  readonly implications: readonly ImplicationInput[];
  /** Every market whose books were read, for the alarms. */
  readonly markets: readonly MarketInput[];
}

export interface EventEvaluation {
  readonly results: readonly ChannelResult[];
  readonly alarms: readonly BookAlarm[];
}

export function evaluateEvent(
  input: EventInput,
  context: EvaluationContext & { readonly solver: Solver },
): EventEvaluation {
  const results: ChannelResult[] = [];
  for (const group of input.groups) {
    results.push(evaluateConversion(group, context), evaluateBasket(group, context));
    const refused = refusal(group);
    results.push(
      refused === null
        ? evaluateJointOutcomes({
          subject: group.groupId,
          markets: group.markets,
          outcomes: partitionOutcomes(group.markets.length),
        }, context)
        : {
          channel: "lp",
          subject: group.groupId,
          complete: group.complete,
          plan: null,
          reason: refused,
        },
    );
  }
  for (const pair of input.implications) {
    results.push(
      evaluateImplication(pair, context),
      evaluateJointOutcomes({
        subject: `${pair.antecedent.marketId}=>${pair.consequent.marketId}`,
        markets: [pair.antecedent, pair.consequent],
        outcomes: IMPLICATION_OUTCOMES,
      }, context),
    );
  }
  return { results, alarms: input.markets.flatMap(bookAlarms) };
}
