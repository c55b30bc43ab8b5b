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

/** Adapter fees drawn per group: 0 half the time, else up to 2%. */
const FEE_BIPS = [0, 0, 0, 0, 1, 7, 25, 50, 100, 200];

/**
 * What the adapter pays for NO sizes, computed as `NegRiskAdapter.convertPositions` does in
 * collateral's base units (1e-6): calls on nested sets, call k converting the layer between the
 * k-th and (k+1)-th largest size held by k members; per call fee = ⌊amount × feeBips / 10⁴⌋ per
 * NO, and (members − 1) × (amount − fee) out.
 */
function adapterProceeds(sizes: readonly Dec[], feeBips: number): Dec {
  const units = sizes.map((size) => {
    assert.equal(size % 100n, 0n, "a NO size finer than 1e-6");
    return size / 100n;
  }).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  let out = 0n;
  for (let k = 1; k < units.length; k++) {
    const amount = units[k]! - (units[k + 1] ?? 0n);
    const fee = (amount * BigInt(feeBips)) / 10_000n;
    out += BigInt(k) * (amount - fee);
  }
  return out * 100n;
}

/**
 * Every vector of NO sizes, lot by lot, each leg walked level by level; the payoff is what the
 * adapter pays for them (above), which never exceeds the least the NOs pay over the outcomes
 * (market w wins: every NO but w's pays) and equals it without a fee.
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
      const least = sizes.reduce((low, x) => (total - x < low ? total - x : low), total);
      const payoff = adapterProceeds(sizes, group.convertFeeBips!);
      if (group.convertFeeBips === 0) assert.equal(payoff, least);
      else assert.ok(payoff <= least);
      const profit = payoff - cost;
      if (profit > ZERO && (best === null || profit > best)) best = profit;
      return;
    }
    for (const [size, legCost] of tables[i]!) visit(i + 1, [...sizes, size], cost + legCost);
  };
  visit(0, [], ZERO);
  return best;
}

Deno.test(`evaluateConversion() equals a brute-force search over NO sizes and adapter fees on ${CASES} groups`, () => {
  const random = randomSource(16);
  let profitable = 0;
  let uneven = 0;
  let charged = 0;
  for (let c = 0; c < CASES; c++) {
    // Small books so that every vector of NO sizes can be tried.
    const { group, lot, minNotional } = randomGroup(random, "NO", {
      maxLegs: 3,
      lots: ["1"],
      maxSizeCents: 400,
      near: { legs: 2, sizeCents: 60 },
      feeBips: FEE_BIPS,
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
    if (plan.conversion!.adapterFee > ZERO) charged++;
    assert.equal(plan.cost, plan.legs.reduce((s, leg) => s + leg.cost, ZERO));
    assert.equal(plan.profit, plan.payoff - plan.cost);
    assert.equal(
      plan.payoff,
      adapterProceeds(plan.legs.map((leg) => leg.shares), group.convertFeeBips!),
    );
  }
  assert.ok(profitable > CASES / 20 && profitable < CASES - CASES / 20, `${profitable} profitable`);
  assert.ok(uneven > 0, "no plan needed nested conversion calls");
  assert.ok(charged > CASES / 50, `${charged} plans paid an adapter fee`);
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

Deno.test("evaluateConversion() charges the adapter's feeBips on the collateral released", () => {
  // NO at 0.60 + 0.65 + 0.70 = 1.95 for 2 back: 0.05 a share before the adapter's fee.
  const markets = [
    market(0, [["0.40", "100"]]),
    market(1, [["0.35", "100"]]),
    market(2, [["0.30", "100"]]),
  ];
  const context = { rules: parseRules({ lot: "0.01", minNotional: "1" }), asOf: AS_OF };
  const at = (convertFeeBips: number | null) =>
    evaluateConversion({ groupId: "g", complete: true, convertFeeBips, markets }, context);
  // 1%: 1 of the 100 converted is kept per NO beyond the first, 2 in all: 5 − 2.
  const plan = at(100).plan!;
  assert.equal(formatDec(plan.shares), "100");
  assert.equal(formatDec(plan.conversion!.adapterFee), "2");
  assert.equal(formatDec(plan.payoff), "198");
  assert.equal(formatDec(plan.profit), "3");
  // 2.49% leaves 0.0002 a share (0.02 on 100); 2.5% eats the whole edge, at every size.
  assert.equal(formatDec(at(249).plan!.profit), "0.02");
  assert.deepStrictEqual([at(250).plan, at(250).reason], [null, "no positive edge"]);
  assert.deepStrictEqual([at(0).plan!.profit, at(null).plan], [parseDec("5"), null]);
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
  // The adapter floors the fee on the amount, then multiplies by |S| − 1: 0.00015 × 50 bips is
  // 0.00000075, 0 at 1e-6, so 3 NOs of 0.00015 release 0.0003 whole (not 0.000299).
  const [call] = conversionCalls(
    [{ marketId: "a" }, { marketId: "b" }, { marketId: "c" }],
    [parseDec("0.00015"), parseDec("0.00015"), parseDec("0.00015")],
    50,
  );
  assert.deepStrictEqual([formatDec(call!.collateralOut), call!.adapterFee, call!.indexSet], [
    "0.0003",
    ZERO,
    null,
  ]);
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
