import assert from "node:assert/strict";
import { type Dec, formatDec, parseDec, ZERO } from "./decimal.ts";
import type { MarketInput, NegRiskGroupInput } from "./market.ts";
import { parseRules } from "./legs.ts";
import { adapterFee, capBound, conversionCalls, evaluateConversion } from "./conversion.ts";
import { prepareLegs } from "./legs.ts";
import type { PreparedLeg } from "./search.ts";
import { bruteCost, bruteLeg, randomGroup, randomSource } from "./_random_books.ts";

const CASES = 10_000;
const AS_OF = "2026-12-01T00:00:00Z";

/**
 * Every vector of NO sizes, lot by lot: the payoff is the least the NOs pay over the outcomes
 * (market w wins: every NO but w's pays), each leg walked level by level.
 */
function bruteForce(group: NegRiskGroupInput, rules: { lot: Dec; minNotional: Dec }): Dec | null {
  const tables = group.markets.map((m) => {
    const leg = bruteLeg(m, "NO", rules.minNotional);
    const depth = leg.levels.reduce((s, [, size]) => s + size, ZERO);
    const options: [Dec, Dec][] = [[ZERO, ZERO]];
    for (let q = rules.lot; q <= depth; q += rules.lot) {
      const cost = bruteCost(leg.levels, q, leg);
      if (cost !== null) options.push([q, cost]);
    }
    return options;
  });
  let best: Dec | null = null;
  const visit = (i: number, sizes: Dec[], cost: Dec) => {
    if (i === tables.length) {
      const total = sizes.reduce((s, x) => s + x, ZERO);
      const payoff = sizes.reduce((least, x) => (total - x < least ? total - x : least), total);
      const profit = payoff - cost;
      if (profit > ZERO && (best === null || profit > best)) best = profit;
      return;
    }
    for (const [size, legCost] of tables[i]!) visit(i + 1, [...sizes, size], cost + legCost);
  };
  visit(0, [], ZERO);
  return best;
}

Deno.test(`evaluateConversion() equals a brute-force search over NO sizes on ${CASES} groups`, () => {
  const random = randomSource(16);
  let profitable = 0;
  let uneven = 0;
  for (let c = 0; c < CASES; c++) {
    // Small books so that every vector of NO sizes can be tried.
    const { group, lot, minNotional } = randomGroup(random, "NO", {
      maxLegs: 3,
      lots: ["1"],
      maxSizeCents: 400,
      near: { legs: 2, sizeCents: 60 },
    });
    const rules = parseRules({ lot, minNotional });
    const result = evaluateConversion(group, { rules, asOf: AS_OF });
    const expected = bruteForce(group, rules);
    const got = result.plan?.profit ?? null;
    assert.deepStrictEqual(
      got === null ? null : formatDec(got),
      expected === null ? null : formatDec(expected),
      `case ${c}: ${JSON.stringify(group)} lot ${lot} min ${minNotional}`,
    );
    const plan = result.plan;
    if (plan === null) continue;
    profitable++;
    if (plan.conversion!.calls.length > 1) uneven++;
    assert.equal(plan.cost, plan.legs.reduce((s, leg) => s + leg.cost, ZERO));
    assert.equal(plan.profit, plan.payoff - plan.cost);
  }
  assert.ok(profitable > CASES / 20 && profitable < CASES - CASES / 20, `${profitable} profitable`);
  assert.ok(uneven > 0, "no plan needed nested conversion calls");
});

function market(id: number, bids: [string, string][]): MarketInput {
  return {
    marketId: `m${id}`,
    conditionId: `0x${id}`,
    yesTokenId: `y${id}`,
    noTokenId: `n${id}`,
    book: { bids, asks: [["0.99", "100"]] },
    fee: { rate: "0", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: "2027-01-01T00:00:00Z",
    questionIndex: id,
  };
}

Deno.test("evaluateConversion() buys NO at 1 - YES bid and converts the whole group", () => {
  const markets = [
    market(0, [["0.40", "100"]]),
    market(1, [["0.35", "100"]]),
    market(2, [["0.30", "100"]]),
  ];
  const group = { groupId: "g", complete: true, convertFeeBips: 0, markets };
  const plan = evaluateConversion(group, {
    rules: parseRules({ lot: "0.01", minNotional: "1" }),
    asOf: AS_OF,
  }).plan!;
  // NO costs 0.60 + 0.65 + 0.70 = 1.95 per share, conversion returns 2: 0.05 a share on 100.
  assert.equal(formatDec(plan.shares), "100");
  assert.equal(formatDec(plan.profit), "5");
  assert.deepStrictEqual(plan.conversion!.calls.map((call) => call.indexSet), ["0x7"]);
  assert.deepStrictEqual(plan.legs.map((leg) => leg.tokenId), ["n0", "n1", "n2"]);
});

Deno.test("evaluateConversion() stacks a second call when two books are deeper", () => {
  // Markets 1 and 2 bid 0.55 and 0.50 for 15, market 0 bids 0.30 for 10: NO of all three for
  // 10 (0.70 + 0.45 + 0.50 = 1.65 for 2), then NO of markets 1 and 2 for 5 more (0.95 for 1).
  const markets = [
    market(0, [["0.30", "10"]]),
    market(1, [["0.40", "10"], ["0.55", "15"]]),
    market(2, [["0.35", "10"], ["0.50", "15"]]),
  ];
  const group = { groupId: "g", complete: true, convertFeeBips: 0, markets };
  const plan = evaluateConversion(group, {
    rules: parseRules({ lot: "0.01", minNotional: "1" }),
    asOf: AS_OF,
  }).plan!;
  const calls = plan.conversion!.calls.map((call) => [call.indexSet, formatDec(call.amount)]);
  assert.deepStrictEqual(calls, [["0x6", "5"], ["0x7", "10"]]);
  // 10 × (2 − 1.65) + 5 × (1 − 0.95) = 3.5 + 0.25
  assert.equal(formatDec(plan.profit), "3.75");
});

Deno.test("adapterFee() and conversionCalls() charge feeBips on the collateral released", () => {
  assert.equal(formatDec(adapterFee(parseDec("200"), 25)), "0.5");
  assert.equal(formatDec(adapterFee(parseDec("0.0333"), 1)), "0.000003");
  const calls = conversionCalls(
    [{ marketId: "a", questionIndex: 0 }, { marketId: "b", questionIndex: 3 }],
    [parseDec("10"), parseDec("10")],
    100,
  );
  assert.deepStrictEqual(calls.map((c) => [c.indexSet, formatDec(c.collateralOut)]), [[
    "0x9",
    "9.9",
  ]]);
});

Deno.test("capBound() stops the search where deep books can no longer pay", () => {
  // A 0.05-a-share edge on 10 shares, then a million shares bid at 0.01 on every market.
  const deep = (id: number, bid: string) => market(id, [[bid, "10"], ["0.01", "1000000"]]);
  const group = {
    groupId: "g",
    complete: true,
    convertFeeBips: 0,
    markets: [deep(0, "0.40"), deep(1, "0.35"), deep(2, "0.30")],
  };
  const rules = parseRules({ lot: "0.01", minNotional: "1" });
  const legs = prepareLegs(group.markets, "NO", rules) as PreparedLeg[];
  // Past 10 shares each extra share costs 3 × 0.99 for 2 back: 0.5 is gone 0.52 shares later.
  const bound = capBound(legs, 1, rules.lot);
  assert.ok(bound >= 1_000n && bound < 1_100n, `${bound}`);
  const none = prepareLegs([deep(0, "0.30"), deep(1, "0.30")], "NO", rules) as PreparedLeg[];
  assert.ok(capBound(none, 1, rules.lot) <= 2n);
  const plan = evaluateConversion(group, { rules, asOf: AS_OF }).plan!;
  assert.equal(formatDec(plan.profit), "0.5");
});
