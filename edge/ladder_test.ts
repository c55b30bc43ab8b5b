import assert from "node:assert/strict";
import { type Dec, formatDec, ZERO } from "./decimal.ts";
import type { ImplicationInput } from "./market.ts";
import { parseRules } from "./legs.ts";
import { evaluateImplication } from "./ladder.ts";
import { bruteCost, bruteLeg, randomMarket, randomSource } from "./_random_books.ts";

const CASES = 10_000;

function bruteForce(pair: ImplicationInput, rules: { lot: Dec; minNotional: Dec }): Dec | null {
  const legs = [
    bruteLeg(pair.antecedent, "NO", rules.minNotional),
    bruteLeg(pair.consequent, "YES", rules.minNotional),
  ];
  const depth = (i: number) => legs[i]!.levels.reduce((s, [, size]) => s + size, ZERO);
  let best: Dec | null = null;
  for (let q = rules.lot; q <= depth(0) && q <= depth(1); q += rules.lot) {
    const a = bruteCost(legs[0]!.levels, q, legs[0]!);
    const b = bruteCost(legs[1]!.levels, q, legs[1]!);
    if (a === null || b === null) continue;
    const profit = q - a - b;
    if (profit > ZERO && (best === null || profit > best)) best = profit;
  }
  return best;
}

Deno.test(`evaluateImplication() equals a brute-force search on ${CASES} random pairs`, () => {
  const random = randomSource(1616);
  let profitable = 0;
  for (let c = 0; c < CASES; c++) {
    // A implies B: fair P(A) ≤ P(B); the noise in randomMarket crosses them now and then.
    const b = 0.1 + random() * 0.8;
    const a = b * (0.6 + random() * 0.5);
    const pair = {
      antecedent: randomMarket(random, 0, a),
      consequent: randomMarket(random, 1, b),
    };
    const lot = random() < 0.5 ? "1" : "0.5";
    const minNotional = ["0", "0.5", "1"][Math.floor(random() * 3)]!;
    const rules = parseRules({ lot, minNotional });
    const result = evaluateImplication(pair, { rules, asOf: "2026-12-01T00:00:00Z" });
    const expected = bruteForce(pair, rules);
    const got = result.plan?.profit ?? null;
    assert.deepStrictEqual(
      got === null ? null : formatDec(got),
      expected === null ? null : formatDec(expected),
      `case ${c}: ${JSON.stringify(pair)} lot ${lot} min ${minNotional}`,
    );
    if (result.plan !== null) {
      profitable++;
      assert.deepStrictEqual(result.plan.legs.map((leg) => leg.outcome), ["NO", "YES"]);
      assert.ok(result.plan.annualisedReturn !== null && result.plan.annualisedReturn > ZERO);
    }
  }
  assert.ok(profitable > CASES / 50 && profitable < CASES / 2, `${profitable} profitable`);
});

Deno.test("evaluateImplication() buys NO of the earlier deadline and YES of the later one", () => {
  const market = (id: string, bids: [string, string][], asks: [string, string][]) => ({
    marketId: id,
    conditionId: `0x${id}`,
    yesTokenId: `${id}-yes`,
    noTokenId: `${id}-no`,
    book: { bids, asks },
    fee: { rate: "0.04", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: id === "march" ? "2027-03-31T00:00:00Z" : "2027-06-30T00:00:00Z",
  });
  // "By March" bid 0.45 above "by June" ask 0.40: NO(March) at 0.55 + YES(June) at 0.40.
  const result = evaluateImplication({
    antecedent: market("march", [["0.45", "20"]], [["0.47", "20"]]),
    consequent: market("june", [["0.38", "20"]], [["0.40", "10"], ["0.41", "10"]]),
  }, { rules: parseRules({ lot: "0.01", minNotional: "1" }), asOf: "2026-12-31T00:00:00Z" });
  const plan = result.plan!;
  assert.equal(formatDec(plan.shares), "20");
  // 20 × 0.55 + 20 × 0.04 × 0.55 × 0.45 = 11.198; 10 × 0.40 + 10 × 0.41 + fees 0.096 + 0.09676
  assert.equal(formatDec(plan.legs[0]!.cost), "11.198");
  assert.equal(formatDec(plan.legs[1]!.cost), "8.29276");
  assert.equal(formatDec(plan.profit), "0.50924");
  assert.equal(plan.lockedUntil, "2027-06-30T00:00:00Z");
});

Deno.test("evaluateImplication() on fee-free books equals a brute-force search, size and profit", () => {
  // Fee-free legs price only the ends of each interval between breakpoints (the exact profit
  // is affine there): flat stretches (a bid level equal to an ask level) and sizes finer than
  // a lot are where that could go wrong.
  const random = randomSource(2727);
  let profitable = 0;
  for (let c = 0; c < 3_000; c++) {
    const b = 0.1 + random() * 0.8;
    const fine = (m: ReturnType<typeof randomMarket>) => ({
      ...m,
      fee: { rate: "0", exponent: 1, takerOnly: true },
      book: {
        bids: m.book.bids.map(([p, s]): [string, string] => [p, random() < 0.5 ? `${s}37` : s]),
        asks: m.book.asks.map(([p, s]): [string, string] => [p, random() < 0.5 ? `${s}37` : s]),
      },
    });
    const pair = {
      antecedent: fine(randomMarket(random, 0, b * (0.8 + random() * 0.4))),
      consequent: fine(randomMarket(random, 1, b)),
    };
    const lot = ["0.01", "0.5", "1"][Math.floor(random() * 3)]!;
    const rules = parseRules({ lot, minNotional: random() < 0.5 ? "0" : "1" });
    const result = evaluateImplication(pair, { rules, asOf: "2026-12-01T00:00:00Z" });
    const expected = bruteForceSized(pair, rules);
    const got = result.plan === null
      ? null
      : `${formatDec(result.plan.profit)} @ ${formatDec(result.plan.shares)}`;
    assert.equal(got, expected, `case ${c}: ${JSON.stringify(pair)} lot ${lot}`);
    if (got !== null) profitable++;
  }
  assert.ok(profitable > 100, `${profitable} profitable`);
});

/** The best profit and its smallest size, by trying every lot. */
function bruteForceSized(
  pair: ImplicationInput,
  rules: { lot: Dec; minNotional: Dec },
): string | null {
  const legs = [
    bruteLeg(pair.antecedent, "NO", rules.minNotional),
    bruteLeg(pair.consequent, "YES", rules.minNotional),
  ];
  const depth = (i: number) => legs[i]!.levels.reduce((s, [, size]) => s + size, ZERO);
  let best: { profit: Dec; q: Dec } | null = null;
  for (let q = rules.lot; q <= depth(0) && q <= depth(1); q += rules.lot) {
    const a = bruteCost(legs[0]!.levels, q, legs[0]!);
    const b = bruteCost(legs[1]!.levels, q, legs[1]!);
    if (a === null || b === null) continue;
    const profit = q - a - b;
    if (profit > ZERO && (best === null || profit > best.profit)) best = { profit, q };
  }
  return best === null ? null : `${formatDec(best.profit)} @ ${formatDec(best.q)}`;
}
