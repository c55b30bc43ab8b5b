import assert from "node:assert/strict";
import { type Dec, formatDec, isMultipleOf, parseDec } from "./decimal.ts";
import { evaluateEvent } from "./evaluate.ts";
import { parseRules } from "./legs.ts";
import { loadSolver } from "./lp.ts";
import { type LevelText, type MarketInput, POLYMARKET_RULES } from "./market.ts";
import type { Plan } from "./plan.ts";

const solver = await loadSolver();
const context = { rules: parseRules(POLYMARKET_RULES), asOf: "2026-12-01T00:00:00Z", solver };
const CENT = parseDec("0.01");

function market(id: string, book: { bids?: LevelText[]; asks?: LevelText[] }): MarketInput {
  return {
    marketId: id,
    conditionId: `0x${id}`,
    yesTokenId: `${id}-yes`,
    noTokenId: `${id}-no`,
    book: { bids: book.bids ?? [], asks: book.asks ?? [] },
    fee: { rate: "0.05", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: "2027-06-01T00:00:00Z",
    questionIndex: Number(id.at(-1)),
  };
}

/** Every share count a plan would send to the venue or the adapter. */
function sizesOf(plan: Plan): Dec[] {
  return [
    plan.shares,
    ...plan.legs.flatMap((leg) => [leg.shares, ...leg.fills.map((fill) => fill.shares)]),
    ...(plan.conversion?.calls ?? []).map((call) => call.amount),
  ];
}

Deno.test("POLYMARKET_RULES sizes every plan in lots of 0.01 shares, down to 12.37", () => {
  assert.equal(POLYMARKET_RULES.lot, "0.01");
  // Every book is 12.37 deep and pays at every size from the minimum order up, so the best
  // plan of each channel takes the whole depth: a coarser lot would stop at 12.3, a finer one
  // is no venue order.
  const depth = "12.37";
  const basket = ["b0", "b1", "b2"].map((id) => market(id, { asks: [["0.30", depth]] }));
  const convert = ["c0", "c1", "c2"].map((id) => market(id, { bids: [["0.40", depth]] }));
  const antecedent = market("a0", { bids: [["0.60", depth]] });
  const consequent = market("a1", { asks: [["0.45", depth]] });
  const { results } = evaluateEvent({
    groups: [
      { groupId: "basket", complete: true, convertFeeBips: 0, markets: basket },
      { groupId: "convert", complete: true, convertFeeBips: 10, markets: convert },
    ],
    implications: [{ antecedent, consequent }],
    markets: [...basket, ...convert, antecedent, consequent],
  }, context);
  const planned = results.filter((result) => result.plan !== null);
  assert.deepStrictEqual(
    planned.map((result) => `${result.channel} ${result.subject}`),
    [
      "neg_risk_basket basket",
      "lp basket",
      "neg_risk_conversion convert",
      "lp convert",
      "implication a0=>a1",
      "lp a0=>a1",
    ],
  );
  for (const { channel, subject, plan } of planned) {
    for (const size of sizesOf(plan!)) {
      assert.ok(isMultipleOf(size, CENT), `${channel} ${subject}: ${formatDec(size)} shares`);
    }
    const legs = plan!.legs.map((leg) => formatDec(leg.shares));
    assert.deepStrictEqual(legs, legs.map(() => depth), `${channel} ${subject}`);
  }
});

Deno.test("evaluateEvent() refuses a neg-risk group of fewer than two markets in every channel", () => {
  // Alone, a YES at 0.50 would "pay 1 in every outcome" of a one-market partition, and its
  // NO at 0.60 would too: a group must have two markets to be a partition at all.
  const lone = market("m0", { bids: [["0.40", "100"]], asks: [["0.50", "100"]] });
  for (const markets of [[lone], []]) {
    const { results } = evaluateEvent({
      groups: [{ groupId: "g", complete: true, convertFeeBips: 0, markets }],
      implications: [],
      markets,
    }, context);
    assert.deepStrictEqual(
      results.map((result) => [result.channel, result.plan, result.reason]),
      [
        ["neg_risk_conversion", null, "fewer than two markets"],
        ["neg_risk_basket", null, "fewer than two markets"],
        ["lp", null, "fewer than two markets"],
      ],
      `${markets.length} market(s)`,
    );
  }
});
