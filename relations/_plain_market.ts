/**
 * Test and bench fixture: a plain Yes/No market as `deriveRelations` and `proposeRelations`
 * read it (no neg-risk group, no game, no dates), with only the fields a case needs overridden.
 *
 * @example
 * ```ts
 * import { plainMarket } from "./_plain_market.ts";
 * const jun = plainMarket("jun", { question: "Will the Fed cut rates by June 30, 2027?" });
 * ```
 */
import type { StructuralMarket } from "./derive.ts";

/** Market `id` in event "e1", asking `Question <id>?`, with rules hash `rules-<id>`. */
export function plainMarket(
  id: string,
  overrides: Partial<StructuralMarket> = {},
): StructuralMarket {
  return {
    marketId: id,
    eventId: "e1",
    question: `Question ${id}?`,
    negRisk: false,
    negRiskMarketId: null,
    questionIndex: null,
    negRiskOther: null,
    eventNegRiskAugmented: null,
    groupItemTitle: null,
    groupItemThreshold: null,
    endDate: null,
    gameId: null,
    sportsMarketType: null,
    line: null,
    outcomes: ["Yes", "No"],
    rulesHash: `rules-${id}`,
    ...overrides,
  };
}
