/**
 * Edge engine cost on a 40-market neg-risk group with 31 levels a side (the last a million
 * shares deep), with and without an edge: each channel's time per evaluation, against the
 * baseline of walking every leg once for one size (the least any pricing must do).
 * relations.md §4.3 G1 asks for ≤ 2 ms per book event on such a group: this shows the distance.
 *
 * @example
 * ```ts
 * import { runEdgeBench } from "./edge_bench.ts";
 * const lines = await runEdgeBench();
 * ```
 */
import { walkBuy } from "../edge/book_walk.ts";
import { parseDec } from "../edge/decimal.ts";
import { evaluateConversion } from "../edge/conversion.ts";
import { parseRules, prepareLegs } from "../edge/legs.ts";
import { evaluateJointOutcomes, loadSolver, partitionOutcomes } from "../edge/lp.ts";
import { type LevelText, type MarketInput, POLYMARKET_RULES } from "../edge/market.ts";
import { evaluateBasket } from "../edge/neg_risk.ts";

/** 40 markets whose fair prices sum to `total` (> 1: conversion edge; < 1: basket edge). */
export function group(total: number): MarketInput[] {
  return Array.from({ length: 40 }, (_, i) => {
    const fair = (total * (1 + (i % 7))) / (40 * 4 + 4 * 7 * (40 / 7 - 4) + 2);
    const bid = Math.max(2, Math.floor(fair * 1000));
    const ladder = (from: number, step: number, end: string): LevelText[] => [
      ...Array.from({ length: 30 }, (_, k) => Math.min(999, Math.max(1, from + step * k)))
        .filter((t, k, all) => k === 0 || t !== all[k - 1])
        .map((t, k): LevelText => [(t / 1000).toFixed(3), (50 + k * 100).toFixed(2)])
        .filter(([price]) => price !== end),
      [end, "1000000"],
    ];
    return {
      marketId: `m${i}`,
      conditionId: `0x${i}`,
      yesTokenId: `y${i}`,
      noTokenId: `n${i}`,
      book: { bids: ladder(bid, -1, "0.001"), asks: ladder(bid + 1, 1, "0.999") },
      fee: { rate: "0.04", exponent: 1, takerOnly: true },
      tickSize: "0.001",
      minOrderSize: "5",
      endDate: "2027-06-01T00:00:00Z",
      questionIndex: i,
    };
  });
}

function timeMs(fn: () => unknown, rounds: number): number {
  fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/** Runs the benchmark and returns printable lines. */
export async function runEdgeBench(): Promise<string[]> {
  const solver = await loadSolver();
  const rules = parseRules(POLYMARKET_RULES);
  const context = { rules, asOf: "2026-12-01T00:00:00Z", solver };
  const lines = ["edge_bench: 40 markets, 31 levels a side, best of 5 runs"];
  for (const [label, total] of [["conversion edge", 1.1], ["basket edge", 0.9]] as const) {
    const markets = group(total);
    const negRisk = { groupId: "g", complete: true, convertFeeBips: 0, markets };
    const legs = prepareLegs(markets, "NO", rules);
    if (typeof legs === "string") throw new Error(legs);
    const baseline = timeMs(
      () => legs.map((leg) => walkBuy(leg.levels, parseDec("200"), leg.fee)),
      5,
    );
    const problem = { subject: "g", markets, outcomes: partitionOutcomes(markets.length) };
    for (
      const [name, fn] of [
        ["conversion", () => evaluateConversion(negRisk, context)],
        ["basket", () => evaluateBasket(negRisk, context)],
        ["lp", () => evaluateJointOutcomes(problem, context)],
      ] as const
    ) {
      const ms = timeMs(fn, 5);
      lines.push(
        `${label.padEnd(16)} ${name.padEnd(10)} ${ms.toFixed(1).padStart(8)} ms ` +
          `(${(ms / baseline).toFixed(0)}x one walk of every leg; G1 target 2 ms ${
            ms <= 2 ? "OK" : "NOT MET"
          })`,
      );
    }
  }
  return lines;
}

if (import.meta.main) {
  const lines = await runEdgeBench();
  await Deno.stdout.write(new TextEncoder().encode(lines.join("\n") + "\n"));
}
