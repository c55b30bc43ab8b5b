import assert from "node:assert/strict";
import { type Dec, formatDec, parseDec, ZERO } from "./decimal.ts";
import type { NegRiskGroupInput } from "./market.ts";
import { parseRules } from "./legs.ts";
import { adapterFee, evaluateBasket, evaluateConversion } from "./neg_risk.ts";
import {
  bruteCost,
  bruteLadder,
  nearZeroEdgeMarkets,
  randomFairs,
  randomMarket,
  randomSource,
} from "./_random_books.ts";

const CASES = 10_000;

function randomGroup(
  random: () => number,
  channel: "conversion" | "basket",
): { group: NegRiskGroupInput; lot: string; minNotional: string } {
  if (random() < 0.2) {
    const markets = nearZeroEdgeMarkets(random, channel === "conversion" ? "NO" : "YES");
    return {
      group: { groupId: "g", complete: true, convertFeeBips: 0, markets },
      lot: "0.01",
      minNotional: "0",
    };
  }
  const n = 2 + Math.floor(random() * 3);
  // Partition prices sum to 1 ± a mispricing, so both channels see edges and their absence.
  const fairs = randomFairs(random, n, 0.8 + random() * 0.4);
  return {
    group: {
      groupId: "g",
      complete: true,
      convertFeeBips: random() < 0.7 ? 0 : Math.floor(random() * 200),
      markets: fairs.map((fair, i) => randomMarket(random, i, fair)),
    },
    lot: random() < 0.5 ? "1" : "0.5",
    minNotional: ["0", "0.5", "1"][Math.floor(random() * 3)]!,
  };
}

/** Tries every q (lot by lot) and every set of legs: the best exact profit, null if none > 0. */
function bruteForce(
  group: NegRiskGroupInput,
  channel: "conversion" | "basket",
  rules: { lot: Dec; minNotional: Dec },
): Dec | null {
  const outcome = channel === "conversion" ? "NO" : "YES";
  const legs = group.markets.map((m) => ({
    levels: bruteLadder(m, outcome),
    rate: parseDec(m.fee!.rate),
    exponent: m.fee!.exponent,
    minSize: parseDec(m.minOrderSize),
    minNotional: rules.minNotional,
  }));
  const maxDepth = legs.reduce((m, leg) => {
    const d = leg.levels.reduce((s, [, size]) => s + size, ZERO);
    return d > m ? d : m;
  }, ZERO);
  let best: Dec | null = null;
  for (let q = rules.lot; q <= maxDepth; q += rules.lot) {
    const costs = legs.map((leg) => bruteCost(leg.levels, q, leg));
    for (let mask = 1; mask < 1 << legs.length; mask++) {
      const members = legs.map((_, i) => i).filter((i) => (mask >> i) & 1);
      if (channel === "basket" && members.length !== legs.length) continue;
      if (members.length < 2 || members.some((i) => costs[i] === null)) continue;
      const spent = members.reduce((s, i) => s + costs[i]!, ZERO);
      const k = BigInt(members.length);
      const profit = channel === "basket"
        ? q - spent
        : (k - 1n) * q - adapterFee((k - 1n) * q, group.convertFeeBips) - spent;
      if (profit > ZERO && (best === null || profit > best)) best = profit;
    }
  }
  return best;
}

for (const channel of ["conversion", "basket"] as const) {
  Deno.test(`${channel}: equals a brute-force level-by-level search on ${CASES} random groups`, () => {
    const random = randomSource(channel === "conversion" ? 16 : 61);
    let profitable = 0;
    for (let c = 0; c < CASES; c++) {
      const { group, lot, minNotional } = randomGroup(random, channel);
      const rules = parseRules({ lot, minNotional });
      const context = { rules, asOf: "2026-12-01T00:00:00Z" };
      const result = channel === "conversion"
        ? evaluateConversion(group, context)
        : evaluateBasket(group, context);
      const expected = bruteForce(group, channel, rules);
      const got = result.plan?.profit ?? null;
      assert.deepStrictEqual(
        got === null ? null : formatDec(got),
        expected === null ? null : formatDec(expected),
        `case ${c}: ${JSON.stringify(group)} lot ${lot} min ${minNotional}`,
      );
      if (result.plan !== null) {
        profitable++;
        const plan = result.plan;
        const legCost = plan.legs.reduce((s, leg) => s + leg.cost, ZERO);
        assert.deepStrictEqual(plan.cost, legCost);
        assert.deepStrictEqual(plan.profit, plan.payoff - plan.cost);
        for (const leg of plan.legs) assert.deepStrictEqual(leg.shares, plan.shares);
      }
    }
    // The generator must exercise both answers, or the comparison proves little.
    assert.ok(
      profitable > CASES / 20 && profitable < CASES - CASES / 20,
      `${profitable} profitable`,
    );
  });
}

for (const channel of ["conversion", "basket"] as const) {
  Deno.test(`${channel}: finds edges that only fee rounding creates, inside a level`, () => {
    const random = randomSource(channel === "conversion" ? 7 : 8);
    const rules = parseRules({ lot: "0.01", minNotional: "0" });
    let profitable = 0;
    for (let c = 0; c < 300; c++) {
      const markets = nearZeroEdgeMarkets(random, channel === "conversion" ? "NO" : "YES");
      const group = { groupId: "g", complete: true, convertFeeBips: 0, markets };
      const context = { rules, asOf: "2026-12-01T00:00:00Z" };
      const result = channel === "conversion"
        ? evaluateConversion(group, context)
        : evaluateBasket(group, context);
      const expected = bruteForce(group, channel, rules);
      const got = result.plan?.profit ?? null;
      assert.deepStrictEqual(
        got === null ? null : formatDec(got),
        expected === null ? null : formatDec(expected),
        `case ${c}: ${JSON.stringify(group)}`,
      );
      if (got !== null) profitable++;
    }
    assert.ok(profitable > 10, `${profitable} profitable`);
  });
}

Deno.test("evaluateConversion() buys NO at 1 - YES bid and converts the whole group", () => {
  const market = (id: number, bid: string) => ({
    marketId: `m${id}`,
    conditionId: `0x${id}`,
    yesTokenId: `y${id}`,
    noTokenId: `n${id}`,
    book: {
      bids: [[bid, "100"]] as [string, string][],
      asks: [["0.99", "100"]] as [string, string][],
    },
    fee: { rate: "0", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: "2027-01-01T00:00:00Z",
    questionIndex: id,
  });
  const group = {
    groupId: "g",
    complete: true,
    convertFeeBips: 0,
    markets: [market(0, "0.40"), market(1, "0.35"), market(2, "0.30")],
  };
  const result = evaluateConversion(group, {
    rules: parseRules({ lot: "0.01", minNotional: "1" }),
    asOf: "2026-12-01T00:00:00Z",
  });
  const plan = result.plan!;
  // NO costs 0.60 + 0.65 + 0.70 = 1.95 per share, conversion returns 2: 0.05 a share on 100.
  assert.deepStrictEqual(formatDec(plan.shares), "100");
  assert.deepStrictEqual(formatDec(plan.profit), "5");
  assert.deepStrictEqual(plan.conversion?.indexSet, "0x7");
  assert.deepStrictEqual(plan.legs.map((leg) => leg.tokenId), ["n0", "n1", "n2"]);
});

Deno.test("evaluateBasket() refuses an incomplete group", () => {
  const random = randomSource(3);
  const { group } = randomGroup(random, "basket");
  const result = evaluateBasket({ ...group, complete: false }, {
    rules: parseRules({ lot: "0.01", minNotional: "1" }),
    asOf: "2026-12-01T00:00:00Z",
  });
  assert.deepStrictEqual([result.complete, result.plan], [false, null]);
});
