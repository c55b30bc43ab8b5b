import assert from "node:assert/strict";
import { type Dec, formatDec, ZERO } from "./decimal.ts";
import type { NegRiskGroupInput } from "./market.ts";
import { parseRules } from "./legs.ts";
import { evaluateBasket } from "./neg_risk.ts";
import { bruteCost, bruteLeg, randomGroup, randomSource } from "./_random_books.ts";

const CASES = 10_000;
const AS_OF = "2026-12-01T00:00:00Z";

/** One in five groups sits within ticks of no-arbitrage, where fee rounding decides. */
function randomYesGroup(random: () => number) {
  return randomGroup(random, "YES", { maxLegs: 4, lots: ["1", "0.5"] });
}

/** Tries every q lot by lot, every leg walked level by level: the best profit, null if none > 0. */
function bruteForce(group: NegRiskGroupInput, rules: { lot: Dec; minNotional: Dec }): Dec | null {
  const legs = group.markets.map((m) => bruteLeg(m, "YES", rules.minNotional));
  let best: Dec | null = null;
  for (let q = rules.lot;; q += rules.lot) {
    const costs = legs.map((leg) => bruteCost(leg.levels, q, leg));
    const depthLeft = legs.every((leg) => leg.levels.reduce((s, [, size]) => s + size, ZERO) >= q);
    if (!depthLeft) return best;
    if (costs.some((cost) => cost === null)) continue;
    const profit = q - costs.reduce((s, cost) => s! + cost!, ZERO)!;
    if (profit > ZERO && (best === null || profit > best)) best = profit;
  }
}

Deno.test(`evaluateBasket() equals a brute-force level-by-level search on ${CASES} random groups`, () => {
  const random = randomSource(61);
  let profitable = 0;
  for (let c = 0; c < CASES; c++) {
    const { group, lot, minNotional } = randomYesGroup(random);
    const rules = parseRules({ lot, minNotional });
    const result = evaluateBasket(group, { rules, asOf: AS_OF });
    const expected = bruteForce(group, rules);
    const got = result.plan?.profit ?? null;
    assert.deepStrictEqual(
      got === null ? null : formatDec(got),
      expected === null ? null : formatDec(expected),
      `case ${c}: ${JSON.stringify(group)} lot ${lot} min ${minNotional}`,
    );
    if (result.plan !== null) {
      profitable++;
      const plan = result.plan;
      assert.equal(plan.cost, plan.legs.reduce((s, leg) => s + leg.cost, ZERO));
      assert.equal(plan.profit, plan.payoff - plan.cost);
      for (const leg of plan.legs) assert.equal(leg.shares, plan.shares);
    }
  }
  // The generator must exercise both answers, or the comparison proves little.
  assert.ok(profitable > CASES / 20 && profitable < CASES - CASES / 20, `${profitable} profitable`);
});

Deno.test("evaluateBasket() buys every YES and reports the annualised return", () => {
  const market = (id: number, ask: string) => ({
    marketId: `m${id}`,
    conditionId: `0x${id}`,
    yesTokenId: `y${id}`,
    noTokenId: `n${id}`,
    book: { bids: [] as [string, string][], asks: [[ask, "50"]] as [string, string][] },
    fee: { rate: "0", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: "2027-12-01T00:00:00Z",
  });
  const group = {
    groupId: "g",
    complete: true,
    convertFeeBips: 0,
    markets: [market(0, "0.45"), market(1, "0.50")],
  };
  const plan = evaluateBasket(group, {
    rules: parseRules({ lot: "0.01", minNotional: "1" }),
    asOf: AS_OF,
  }).plan!;
  // 50 × (1 − 0.95) = 2.5 on 47.5 locked for 365 days: 5.263157…%.
  assert.equal(formatDec(plan.profit), "2.5");
  assert.equal(formatDec(plan.annualisedReturn!), "0.05263157");
  assert.equal(plan.lockedUntil, "2027-12-01T00:00:00Z");
});

Deno.test("evaluateBasket() refuses an incomplete group or an unknown fee", () => {
  const { group } = randomYesGroup(randomSource(3));
  const context = { rules: parseRules({ lot: "0.01", minNotional: "1" }), asOf: AS_OF };
  const incomplete = evaluateBasket({ ...group, complete: false }, context);
  assert.deepStrictEqual([incomplete.complete, incomplete.plan], [false, null]);
  const markets = group.markets.map((m, i) => (i === 0 ? { ...m, fee: null } : m));
  const unknown = evaluateBasket({ ...group, markets } as NegRiskGroupInput, context);
  assert.equal(unknown.plan, null);
  assert.match(unknown.reason!, /fee schedule unknown/);
});
