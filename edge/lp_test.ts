import assert from "node:assert/strict";
import { toNumber } from "./decimal.ts";
import { relaxedCost } from "./book_walk.ts";
import type { MarketInput } from "./market.ts";
import { parseRules, prepareLeg } from "./legs.ts";
import type { PreparedLeg } from "./search.ts";
import {
  evaluateJointOutcomes,
  IMPLICATION_OUTCOMES,
  loadSolver,
  partitionOutcomes,
  solveJointOutcomes,
} from "./lp.ts";
import { randomFairs, randomMarket, randomSource } from "./_random_books.ts";
import { bruteJointOutcomes, tinyMarket } from "./_lp_brute.ts";

const CASES = 1_000;
const rules = parseRules({ lot: "0.01", minNotional: "0" });
const solver = await loadSolver();

/** The best relaxed basket (unrounded fees, no minimums): one q on every leg. */
function bestBasket(legs: readonly PreparedLeg[]): number {
  const depth = Math.min(...legs.map((leg) => leg.float.ends.at(-1) ?? 0));
  const ends = legs.flatMap((leg) => [...leg.float.ends]).filter((end) => end <= depth + 1e-12);
  return Math.max(
    0,
    ...ends.map((q) => q - legs.reduce((s, leg) => s + relaxedCost(leg.float, q), 0)),
  );
}

/** The best relaxed NO sizes: Σ x − max x − Σ cost, over every cap M at a level end. */
function bestNoSizes(legs: readonly PreparedLeg[]): number {
  const ends = legs.flatMap((leg) => [...leg.float.ends]);
  let best = 0;
  for (const cap of ends) {
    const value = legs.reduce((sum, leg) => {
      const xs = [
        0,
        ...leg.float.ends.filter((end) => end <= cap),
        Math.min(cap, leg.float.ends.at(-1) ?? 0),
      ];
      return sum + Math.max(...xs.map((x) => x - relaxedCost(leg.float, x)));
    }, 0);
    best = Math.max(best, value - cap);
  }
  return best;
}

/** Both legs of every market, minimum orders off: the relaxed channels above ignore them. */
function legsOf(markets: readonly MarketInput[]): PreparedLeg[] {
  return markets.map((m) => ({ ...m, minOrderSize: "0" })).flatMap((
    m,
  ) => [prepareLeg(m, "YES", rules), prepareLeg(m, "NO", rules)])
    .map((leg) => {
      if (typeof leg === "string") throw new Error(leg);
      return leg;
    });
}

Deno.test(`LP equals the best basket or NO sizes on ${CASES} random neg-risk groups`, () => {
  const random = randomSource(42);
  let positive = 0;
  for (let c = 0; c < CASES; c++) {
    const n = 2 + Math.floor(random() * 3);
    const markets = randomFairs(random, n, 0.8 + random() * 0.4).map((fair, i) =>
      randomMarket(random, i, fair)
    );
    const legs = legsOf(markets);
    const lp = solveJointOutcomes(legs, partitionOutcomes(n), { solver, lot: rules.lot }) ??
      { objective: 0, shares: [] };
    const yes = legs.filter((leg) => leg.outcome === "YES");
    const no = legs.filter((leg) => leg.outcome === "NO");
    const channels = Math.max(bestBasket(yes), bestNoSizes(no));
    assert.ok(
      Math.abs(lp.objective - channels) < 1e-6,
      `case ${c}: LP ${lp.objective} vs ${channels} ${JSON.stringify(lp.shares)} ${
        JSON.stringify(markets.map((m) => [m.book, m.fee?.rate]))
      }`,
    );
    if (channels > 1e-9) positive++;
  }
  assert.ok(positive > CASES / 20, `${positive} positive`);
});

Deno.test(`LP equals the implication pair on ${CASES} random pairs`, () => {
  const random = randomSource(43);
  for (let c = 0; c < CASES; c++) {
    const b = 0.1 + random() * 0.8;
    const markets = [
      randomMarket(random, 0, b * (0.6 + random() * 0.5)),
      randomMarket(random, 1, b),
    ];
    const legs = legsOf(markets); // [YES A, NO A, YES B, NO B]
    const lp = solveJointOutcomes(legs, IMPLICATION_OUTCOMES, { solver, lot: rules.lot }) ??
      { objective: 0 };
    const pair = bestBasket([legs[1]!, legs[2]!]);
    assert.ok(Math.abs(lp.objective - pair) < 1e-6, `case ${c}: LP ${lp.objective} vs ${pair}`);
  }
});

Deno.test("evaluateJointOutcomes() keeps every token at zero or at its minimum order", () => {
  // Four markets, YES asks sum to 0.90, but the 0.01 leg needs 100 shares to be worth $1 and
  // only 60 are offered: without that leg there is no partition, so no plan.
  const market = (i: number, ask: string, size: string) => ({
    marketId: `m${i}`,
    conditionId: `0x${i}`,
    yesTokenId: `y${i}`,
    noTokenId: `n${i}`,
    book: { bids: [] as [string, string][], asks: [[ask, size]] as [string, string][] },
    fee: { rate: "0", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: "2027-01-01T00:00:00Z",
  });
  const markets = [
    market(0, "0.50", "60"),
    market(1, "0.30", "60"),
    market(2, "0.09", "60"),
    market(3, "0.01", "60"),
  ];
  const context = {
    rules: parseRules({ lot: "0.01", minNotional: "1" }),
    asOf: "2026-12-01T00:00:00Z",
    solver,
  };
  const problem = { subject: "g", markets, outcomes: partitionOutcomes(4) };
  assert.equal(evaluateJointOutcomes(problem, context).plan, null);
  const deeper = markets.map((m, i) => (i === 3 ? market(3, "0.01", "150") : m));
  const plan = evaluateJointOutcomes({ ...problem, markets: deeper }, context).plan!;
  // With 150 offered the 0.01 leg is bought at its $1 minimum, 100 shares, the others at their
  // 60: every outcome pays at least 60 for 30 + 18 + 5.4 + 1.
  assert.equal(toNumber(plan.payoff), 60);
  assert.equal(toNumber(plan.profit), 5.6);
  assert.deepStrictEqual(plan.legs.map((leg) => toNumber(leg.shares)), [60, 60, 60, 100]);
});

Deno.test("evaluateJointOutcomes() prices the LP's plan exactly", () => {
  const market = (i: number, bid: string) => ({
    marketId: `m${i}`,
    conditionId: `0x${i}`,
    yesTokenId: `y${i}`,
    noTokenId: `n${i}`,
    book: {
      bids: [[bid, "10"]] as [string, string][],
      asks: [["0.99", "10"]] as [string, string][],
    },
    fee: { rate: "0.04", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: "2027-01-01T00:00:00Z",
  });
  const markets = [market(0, "0.50"), market(1, "0.30"), market(2, "0.25")];
  const result = evaluateJointOutcomes({ subject: "g", markets, outcomes: partitionOutcomes(3) }, {
    rules: parseRules({ lot: "0.01", minNotional: "1" }),
    asOf: "2026-12-01T00:00:00Z",
    solver,
  });
  const plan = result.plan!;
  // NO at 0.50, 0.70, 0.75 on 10 shares pays 20 in every outcome; fees 0.1 + 0.084 + 0.075.
  assert.deepStrictEqual(plan.legs.map((leg) => leg.tokenId), ["n0", "n1", "n2"]);
  assert.equal(toNumber(plan.payoff), 20);
  assert.equal(toNumber(plan.cost), 19.759);
  assert.equal(toNumber(plan.profit), 0.241);
});

/** Each case solves a small MIP (minimum orders are binaries): ~15 ms apiece. */
const TINY_CASES = 300;

Deno.test(`LP optimum equals an integer brute force over share amounts on ${TINY_CASES} tiny problems`, () => {
  // Tiny books (whole-share levels, cent prices, minimum orders of 0–2 shares, no $1 minimum):
  // every vertex of the LP is then a whole number of shares (its outcome rows are an interval
  // matrix for partitions and implications), so the brute force over whole shares is the LP's
  // exact optimum, as a fraction over 10^12 computed without the engine's helpers.
  const random = randomSource(44);
  const exact = parseRules({ lot: "0.01", minNotional: "0" });
  const context = { rules: exact, asOf: "2026-12-01T00:00:00Z", solver };
  let positive = 0;
  for (let c = 0; c < TINY_CASES; c++) {
    const kind = c % 3;
    const n = kind === 0 ? 2 : kind === 1 ? 3 : 2;
    const fairs = kind === 2
      ? [0.5 * random(), 0.3 + 0.6 * random()]
      : randomFairs(random, n, 0.85 + random() * 0.3);
    const markets = fairs.map((fair, i) => tinyMarket(random, i, fair));
    const outcomes = kind === 2 ? IMPLICATION_OUTCOMES : partitionOutcomes(n);
    const legs = markets.flatMap((m) => [prepareLeg(m, "YES", exact), prepareLeg(m, "NO", exact)])
      .map((leg) => {
        if (typeof leg === "string") throw new Error(leg);
        return leg;
      });
    const lp = solveJointOutcomes(legs, outcomes, { solver, lot: exact.lot })?.objective ?? 0;
    const brute = bruteJointOutcomes(markets, outcomes);
    const expected = Number(brute.relaxed) / 1e12;
    const message = `case ${c}: LP ${lp} vs brute ${expected} (${brute.relaxedShares}) ${
      JSON.stringify(markets.map((m) => [m.book, m.fee!.rate, m.fee!.exponent, m.minOrderSize]))
    }`;
    assert.ok(Math.abs(lp - expected) < 1e-9, message);
    // The engine's plan buys the LP's amounts and prices them exactly (fees floored per fill):
    // at least the relaxed optimum, at most the brute force's best exact profit.
    const plan = lp > 0
      ? evaluateJointOutcomes({ subject: "s", markets, outcomes }, context).plan
      : null;
    if (brute.relaxed > 10n ** 4n) {
      positive++;
      assert.ok(plan !== null, message);
      assert.ok(plan.profit * 10_000n >= brute.relaxed, `${message}: plan ${plan.profit}`);
    }
    if (plan !== null) assert.ok(plan.profit * 10_000n <= brute.exact, message);
  }
  assert.ok(positive > TINY_CASES / 10, `${positive} positive`);
});
