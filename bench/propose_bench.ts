/**
 * Lexical proposals on a synthetic 50,000-market catalog (the live venue lists ~46,500): a
 * templated series of 20,000 near-identical questions (the worst case for token blocking),
 * deadline and strike questions repeated across events, and random-word questions. Reports the
 * time against the baseline of only normalising every question (the floor any method pays),
 * and the per-market cost at 50,000 against 5,000 markets: bounded work per market means that
 * ratio stays near 1, where pairwise comparison would grow 10×.
 *
 * @example
 * ```ts
 * import { runProposeBench } from "./propose_bench.ts";
 * const { lines } = runProposeBench({ markets: 2000 });
 * ```
 */
import { normaliseQuestion, proposeRelations } from "../relations/propose.ts";
import type { StructuralMarket } from "../relations/derive.ts";
import { plainMarket } from "../relations/_plain_market.ts";
import { atMost, BENCH_SHORT, finishBench, type TargetCheck } from "./_report.ts";

const WORDS = ("election senate house court bill rate inflation gdp launch merger tariff " +
  "ceasefire summit strike deal vote budget shutdown recall verdict championship title " +
  "record album award nominee treaty ban index oil gold").split(" ");
const MONTHS = ["March 31", "June 30", "September 30", "December 31"];

/** A deterministic synthetic catalog of `count` markets, one event per market. */
export function syntheticCatalog(count: number): StructuralMarket[] {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const kind = i % 5;
    const question = kind < 2
      ? `Bitcoin Up or Down - December ${1 + (i % 28)}, ${1 + (i % 12)}PM ET`
      : kind === 2
      ? `Will the ${pick(WORDS)} ${pick(WORDS)} happen by ${pick(MONTHS)}, 2027?`
      : kind === 3
      ? `Will ${pick(["Bitcoin", "Ethereum", "Gold"])} be above $${
        10 * Math.floor(next() * 20)
      },000 on December 31, 2027?`
      : `Will the ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} pass in 2027?`;
    return plainMarket(String(1_000_000 + i), { eventId: String(i), question, rulesHash: null });
  });
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

/** Runs the benchmark; returns printable lines and its targets. */
export function runProposeBench(
  options: { markets?: number } = {},
): { lines: string[]; targets: TargetCheck[] } {
  const count = options.markets ?? (BENCH_SHORT ? 20_000 : 50_000);
  const big = syntheticCatalog(count);
  const small = big.slice(0, Math.floor(count / 10));
  proposeRelations(small); // warm up
  const floor = timed(() => big.map((m) => normaliseQuestion(m.question!).words.length));
  const full = timed(() => proposeRelations(big));
  const tenth = timed(() => proposeRelations(small));
  const perMarketRatio = (full.ms / big.length) / (tenth.ms / small.length);
  const ratio = full.ms / floor.ms;
  return {
    lines: [
      `propose_bench markets=${count} proposals=${full.value.length}`,
      `normalise only        ${floor.ms.toFixed(0)} ms`,
      `proposeRelations      ${full.ms.toFixed(0)} ms`,
      `proposeRelations/10   ${tenth.ms.toFixed(0)} ms (${small.length} markets)`,
      `ratio propose/normalise ${ratio.toFixed(2)}`,
      `ratio per-market cost ${count} vs ${small.length} markets ${perMarketRatio.toFixed(2)}`,
    ],
    targets: [
      atMost("ratio propose/normalise", ratio, 30),
      atMost("ratio per-market cost 10x markets", perMarketRatio, 3),
    ],
  };
}

if (import.meta.main) {
  const { lines, targets } = runProposeBench();
  finishBench(lines, targets);
}
